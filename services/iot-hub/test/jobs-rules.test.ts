import type { JobExecutionStatus, UpdateJobExecutionRequest } from '@citus/contracts';
import {
  applyUpdate,
  cancelExecution,
  isDue,
  mayDeviceMove,
  nextPending,
  queuedExecution,
  secondsBeforeTimeout,
  startNext,
  timeOut,
} from '../src/domain/jobs/job-execution.rules.js';
import { pendingChangeMessages } from '../src/domain/jobs/job-messages.js';
import type { ExecutionRecord, JobRecord } from '../src/domain/jobs/job.model.js';

const T0 = Date.UTC(2025, 0, 1, 12);
const MINUTE = 60_000;
const STATUSES: JobExecutionStatus[] = ['QUEUED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'REMOVED', 'CANCELED'];

function aJob(overrides: Partial<JobRecord> = {}): JobRecord {
  return { workspaceId: 'ws_1', jobId: 'job-1', document: { op: 'reboot' }, status: 'IN_PROGRESS', forceCanceled: false, createdAt: T0, lastUpdatedAt: T0, ...overrides };
}

function anExecution(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return { ...queuedExecution(aJob(), 'thing-1'), ...overrides };
}

const update = (execution: ExecutionRecord, request: Partial<UpdateJobExecutionRequest>, job = aJob()) =>
  applyUpdate(execution, job, { status: 'IN_PROGRESS', ...request }, T0 + MINUTE);

describe('job execution state machine', () => {
  // AWS IoT Jobs: a device may move QUEUED or IN_PROGRESS to IN_PROGRESS, SUCCEEDED, FAILED, REJECTED.
  it.each(STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const)))('%s -> %s by the device', (from, to) => {
    const allowed = ['QUEUED', 'IN_PROGRESS'].includes(from) && ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED'].includes(to);
    expect(mayDeviceMove(from, to)).toBe(allowed);
    const result = update(anExecution({ status: from }), { status: to });
    if (allowed) {
      expect('execution' in result && result.execution.status).toBe(to);
    } else {
      expect(result).toEqual({ rejection: expect.objectContaining({ code: 'InvalidStateTransition', executionState: expect.objectContaining({ status: from }) }) });
    }
  });

  it('bumps the version, keeps status details unless given, and stamps the start', () => {
    const first = update(anExecution({ statusDetails: { step: 'download' } }), {});
    expect(first).toEqual({
      execution: expect.objectContaining({ status: 'IN_PROGRESS', versionNumber: 2, statusDetails: { step: 'download' }, startedAt: T0 + MINUTE, lastUpdatedAt: T0 + MINUTE }),
    });
    const second = update(anExecution({ status: 'IN_PROGRESS', versionNumber: 2 }), { status: 'SUCCEEDED', statusDetails: { result: 'ok' } });
    expect('execution' in second && second.execution).toMatchObject({ status: 'SUCCEEDED', versionNumber: 3, statusDetails: { result: 'ok' } });
  });

  it('rejects a stale expectedVersion with the current state, before judging the transition', () => {
    const result = update(anExecution({ status: 'SUCCEEDED', versionNumber: 3, statusDetails: { a: 'b' } }), { expectedVersion: 2 });
    expect(result).toEqual({ rejection: { code: 'VersionMismatch', message: expect.any(String), executionState: { status: 'SUCCEEDED', statusDetails: { a: 'b' }, versionNumber: 3 } } });
    expect('execution' in update(anExecution({ versionNumber: 3 }), { expectedVersion: 3 })).toBe(true);
  });

  it('starts the step timer, keeps it without a new value, and cancels it with -1', () => {
    const started = update(anExecution(), { stepTimeoutInMinutes: 5 });
    const running = 'execution' in started ? started.execution : anExecution();
    expect(running.stepDeadline).toBe(T0 + 6 * MINUTE);
    const kept = applyUpdate(running, aJob(), { status: 'IN_PROGRESS' }, T0 + 2 * MINUTE);
    expect('execution' in kept && kept.execution.stepDeadline).toBe(T0 + 6 * MINUTE);
    const reset = applyUpdate(running, aJob(), { status: 'IN_PROGRESS', stepTimeoutInMinutes: 10 }, T0 + 2 * MINUTE);
    expect('execution' in reset && reset.execution.stepDeadline).toBe(T0 + 12 * MINUTE);
    const canceled = applyUpdate(running, aJob(), { status: 'IN_PROGRESS', stepTimeoutInMinutes: -1 }, T0 + 2 * MINUTE);
    expect('execution' in canceled && canceled.execution.stepDeadline).toBeUndefined();
  });

  it("starts the job's in-progress timer once, when the execution first goes IN_PROGRESS", () => {
    const job = aJob({ timeoutConfig: { inProgressTimeoutInMinutes: 30 } });
    const started = startNext(anExecution(), job, {}, T0);
    expect(started.inProgressDeadline).toBe(T0 + 30 * MINUTE);
    const later = applyUpdate(started, job, { status: 'IN_PROGRESS' }, T0 + 10 * MINUTE);
    expect('execution' in later && later.execution.inProgressDeadline).toBe(T0 + 30 * MINUTE);
    expect(isDue(started, T0 + 30 * MINUTE - 1)).toBe(false);
    expect(isDue(started, T0 + 30 * MINUTE)).toBe(true);
    expect(secondsBeforeTimeout(started, T0 + 29 * MINUTE)).toBe(60);
    const done = applyUpdate(started, job, { status: 'SUCCEEDED' }, T0 + MINUTE);
    expect('execution' in done && [done.execution.inProgressDeadline, done.execution.stepDeadline]).toEqual([undefined, undefined]);
  });

  it('start-next moves QUEUED to IN_PROGRESS with its details and leaves IN_PROGRESS alone', () => {
    const queued = anExecution();
    const started = startNext(queued, aJob(), { statusDetails: { phase: 'start' }, stepTimeoutInMinutes: 2 }, T0);
    expect(started).toMatchObject({ status: 'IN_PROGRESS', statusDetails: { phase: 'start' }, versionNumber: 2, startedAt: T0, stepDeadline: T0 + 2 * MINUTE });
    expect(startNext(started, aJob(), { statusDetails: { phase: 'other' } }, T0 + MINUTE)).toBe(started);
  });

  it('times out to TIMED_OUT, a terminal state', () => {
    const timedOut = timeOut(anExecution({ status: 'IN_PROGRESS', stepDeadline: T0 }), T0);
    expect(timedOut).toMatchObject({ status: 'TIMED_OUT', versionNumber: 2, stepDeadline: undefined });
    expect(isDue(timedOut, T0 + MINUTE)).toBe(false);
    expect('rejection' in update(timedOut, { status: 'SUCCEEDED' })).toBe(true);
  });

  it('cancels QUEUED executions, IN_PROGRESS ones only when forced, never ended ones', () => {
    expect(cancelExecution(anExecution(), false, T0)?.status).toBe('CANCELED');
    expect(cancelExecution(anExecution({ status: 'IN_PROGRESS' }), false, T0)).toBeUndefined();
    expect(cancelExecution(anExecution({ status: 'IN_PROGRESS' }), true, T0)?.status).toBe('CANCELED');
    expect(cancelExecution(anExecution({ status: 'SUCCEEDED' }), true, T0)).toBeUndefined();
  });

  it('picks IN_PROGRESS executions first, then the oldest QUEUED one', () => {
    const a = anExecution({ jobId: 'a' });
    const b = anExecution({ jobId: 'b', status: 'IN_PROGRESS' });
    expect(nextPending([a, b])?.jobId).toBe('b');
    expect(nextPending([a, anExecution({ jobId: 'c' })])?.jobId).toBe('a');
    expect(nextPending([])).toBeUndefined();
  });
});

describe('job notifications', () => {
  const jobOf = (jobId: string) => aJob({ jobId });
  const topics = (messages: { topic: string }[]) => messages.map((message) => message.topic.split('/').at(-1));

  it('sends notify and notify-next when an execution joins an empty list', () => {
    const messages = pendingChangeMessages({ thingName: 't', before: [], after: [anExecution()] }, jobOf, T0);
    expect(topics(messages)).toEqual(['notify', 'notify-next']);
    expect(messages[0]?.payload).toEqual({ jobs: { QUEUED: [expect.objectContaining({ jobId: 'job-1', queuedAt: T0 / 1000 })] }, timestamp: T0 / 1000 });
    expect(messages[1]?.payload).toEqual({ execution: expect.objectContaining({ jobId: 'job-1', jobDocument: { op: 'reboot' }, status: 'QUEUED' }), timestamp: T0 / 1000 });
  });

  it('sends only notify when the next execution stays the same', () => {
    const queued = anExecution();
    expect(topics(pendingChangeMessages({ thingName: 't', before: [queued], after: [{ ...queued, status: 'IN_PROGRESS' }] }, jobOf, T0))).toEqual(['notify']);
    expect(pendingChangeMessages({ thingName: 't', before: [queued], after: [{ ...queued, versionNumber: 5 }] }, jobOf, T0)).toEqual([]);
  });

  it('sends an empty list and a bare notify-next when the last one ends', () => {
    const messages = pendingChangeMessages({ thingName: 't', before: [anExecution()], after: [] }, jobOf, T0);
    expect(messages.map((message) => message.payload)).toEqual([{ jobs: {}, timestamp: T0 / 1000 }, { timestamp: T0 / 1000 }]);
  });

  it('lists at most 15 summaries per status', () => {
    const after = Array.from({ length: 20 }, (_, index) => anExecution({ jobId: `job-${index}` }));
    const [notify] = pendingChangeMessages({ thingName: 't', before: [], after }, jobOf, T0);
    expect((notify?.payload as { jobs: { QUEUED: unknown[] } }).jobs.QUEUED).toHaveLength(15);
  });
});
