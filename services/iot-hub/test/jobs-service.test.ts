import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { JOB_MIGRATIONS, SqliteJobRepository } from '../src/adapters/sqlite/job.repository.js';
import { JobControlService } from '../src/app/job-control.service.js';
import { JobsService } from '../src/app/jobs.service.js';
import { RolloutService } from '../src/app/rollout.service.js';
import type { JobRepository } from '../src/domain/jobs/job.model.js';
import type { OutboundMessage } from '../src/domain/message-publisher.port.js';

const WS = 'ws_jobs';
const OTHER_WS = 'ws_other';
const T0 = Date.UTC(2025, 0, 1, 12);
const MINUTE = 60_000;
const logger = createLogger({ level: 'silent' });

interface Fixture {
  dir: string;
  db: SqliteDatabase;
  repository: SqliteJobRepository;
  jobs: JobsService;
  control: JobControlService;
  sent: OutboundMessage[];
  clock: { now: number };
}

function fixture(things: Record<string, string> = { 'thing-a': WS, 'thing-b': WS, 'thing-x': OTHER_WS }, wrap?: (repository: JobRepository) => JobRepository): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'citus-jobs-'));
  const db = openDatabase(join(dir, 'jobs.db'), { module: 'jobs', migrations: JOB_MIGRATIONS });
  const repository = new SqliteJobRepository(db);
  const sent: OutboundMessage[] = [];
  const clock = { now: T0 };
  const publisher = { publish: async (message: OutboundMessage) => void sent.push(message) };
  const jobs = new JobsService(wrap ? wrap(repository) : repository, publisher, logger, { now: () => clock.now, maxInFlight: 50 });
  const control = new JobControlService(repository, jobs, new RolloutService(repository, jobs, {}, logger), { workspaceOfThing: (name) => things[name] });
  return { dir, db, repository, jobs, control, sent, clock };
}

const topicsOf = (sent: OutboundMessage[]) => sent.map((message) => message.topic);

describe('JobsService and JobControlService on a real jobs.db', () => {
  let f: Fixture;
  beforeEach(() => {
    f = fixture();
  });
  afterEach(() => {
    f.db.close();
    rmSync(f.dir, { recursive: true, force: true });
  });

  it('creates a job, notifies its targets, and refuses a taken id or a foreign thing', async () => {
    await expect(f.control.create(WS, { jobId: 'j1', targets: ['thing-a', 'thing-b'], document: { op: 'x' } })).resolves.toEqual({ jobId: 'j1' });
    expect(topicsOf(f.sent)).toEqual([
      '$aws/things/thing-a/jobs/notify',
      '$aws/things/thing-a/jobs/notify-next',
      '$aws/things/thing-b/jobs/notify',
      '$aws/things/thing-b/jobs/notify-next',
    ]);
    await expect(f.control.create(WS, { jobId: 'j1', targets: ['thing-a'], document: {} })).rejects.toMatchObject({ code: 'conflict' });
    await expect(f.control.create(WS, { targets: ['thing-a', 'thing-x', 'ghost'], document: {} })).rejects.toMatchObject({
      code: 'bad_request',
      details: { targets: ['thing-x', 'ghost'] },
    });
    const generated = await f.control.create(WS, { targets: ['thing-a'], document: {} });
    expect(generated.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.control.list(WS).map((job) => job.jobId).sort()).toEqual(['j1', generated.jobId].sort());
    expect(f.control.list(OTHER_WS)).toEqual([]);
    expect(() => f.control.get(OTHER_WS, 'j1')).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('runs an execution from QUEUED to SUCCEEDED and completes the job', async () => {
    await f.control.create(WS, { jobId: 'j1', targets: ['thing-a'], document: { op: 'x' } });
    f.sent.length = 0;
    f.clock.now = T0 + MINUTE;
    const started = await f.jobs.startNext(WS, 'thing-a', { statusDetails: { phase: 'start' } });
    expect(started.answer).toEqual({
      accepted: {
        execution: expect.objectContaining({ jobId: 'j1', thingName: 'thing-a', status: 'IN_PROGRESS', versionNumber: 2, jobDocument: { op: 'x' }, statusDetails: { phase: 'start' } }),
        timestamp: (T0 + MINUTE) / 1000,
      },
    });
    expect(topicsOf(started.messages)).toEqual(['$aws/things/thing-a/jobs/notify']);
    const done = await f.jobs.update(WS, 'thing-a', 'j1', { status: 'SUCCEEDED', expectedVersion: 2, includeJobExecutionState: true, includeJobDocument: true });
    expect(done.answer).toEqual({ accepted: { executionState: { status: 'SUCCEEDED', statusDetails: { phase: 'start' }, versionNumber: 3 }, jobDocument: { op: 'x' }, timestamp: (T0 + MINUTE) / 1000 } });
    expect(topicsOf(done.messages)).toEqual([
      '$aws/things/thing-a/jobs/notify',
      '$aws/things/thing-a/jobs/notify-next',
      '$aws/events/jobExecution/j1/succeeded',
      '$aws/events/job/j1/completed',
    ]);
    expect(f.control.get(WS, 'j1')).toMatchObject({ status: 'COMPLETED', executionCounts: { SUCCEEDED: 1, QUEUED: 0 } });
    // The job ended and so did the execution: describing it is TerminalStateReached.
    expect((await f.jobs.describe(WS, 'thing-a', 'j1', {})).answer).toEqual({ rejected: expect.objectContaining({ code: 'TerminalStateReached' }) });
    expect((await f.jobs.startNext(WS, 'thing-a', {})).answer).toEqual({ accepted: { timestamp: (T0 + MINUTE) / 1000 } });
  });

  it('answers get, describe and $next, and ResourceNotFound for an unknown job or execution number', async () => {
    await f.control.create(WS, { jobId: 'j1', targets: ['thing-a'], document: { op: 1 } });
    await f.control.create(WS, { jobId: 'j2', targets: ['thing-a'], document: { op: 2 } });
    await f.jobs.update(WS, 'thing-a', 'j2', { status: 'IN_PROGRESS' });
    const pending = await f.jobs.getPending(WS, 'thing-a');
    expect(pending.answer).toEqual({
      accepted: { inProgressJobs: [expect.objectContaining({ jobId: 'j2' })], queuedJobs: [expect.objectContaining({ jobId: 'j1' })], timestamp: T0 / 1000 },
    });
    expect((await f.jobs.describe(WS, 'thing-a', '$next', {})).answer).toEqual({ accepted: expect.objectContaining({ execution: expect.objectContaining({ jobId: 'j2', jobDocument: { op: 2 } }) }) });
    const withoutDocument = await f.jobs.describe(WS, 'thing-a', 'j1', { includeJobDocument: false, executionNumber: 1 });
    expect(withoutDocument.answer).toEqual({ accepted: { execution: expect.not.objectContaining({ jobDocument: expect.anything() }), timestamp: T0 / 1000 } });
    for (const [jobId, executionNumber] of [['nope', undefined], ['j1', 2], ['$bad', undefined]] as const) {
      expect((await f.jobs.describe(WS, 'thing-a', jobId, { executionNumber })).answer).toEqual({ rejected: expect.objectContaining({ code: 'ResourceNotFound' }) });
      expect((await f.jobs.update(WS, 'thing-a', jobId, { status: 'IN_PROGRESS', executionNumber })).answer).toEqual({ rejected: expect.objectContaining({ code: 'ResourceNotFound' }) });
    }
    // Another workspace's device with the same job id sees nothing.
    expect((await f.jobs.describe(OTHER_WS, 'thing-a', 'j1', {})).answer).toEqual({ rejected: expect.objectContaining({ code: 'ResourceNotFound' }) });
  });

  it('times out a step timer and an in-progress timer through the sweeper', async () => {
    await f.control.create(WS, { jobId: 'step', targets: ['thing-a'], document: {} });
    await f.control.create(WS, { jobId: 'slow', targets: ['thing-b'], document: {}, timeoutConfig: { inProgressTimeoutInMinutes: 10 } });
    await f.jobs.startNext(WS, 'thing-a', { stepTimeoutInMinutes: 2 });
    await f.jobs.startNext(WS, 'thing-b', {});
    f.sent.length = 0;
    f.clock.now = T0 + 2 * MINUTE - 1;
    await expect(f.jobs.sweep()).resolves.toBe(0);
    f.clock.now = T0 + 2 * MINUTE;
    await expect(f.jobs.sweep()).resolves.toBe(1);
    expect(f.control.executions(WS, 'step')[0]).toMatchObject({ status: 'TIMED_OUT', versionNumber: 3 });
    expect(topicsOf(f.sent)).toContain('$aws/events/jobExecution/step/timed_out');
    expect(topicsOf(f.sent)).toContain('$aws/things/thing-a/jobs/notify-next');
    f.clock.now = T0 + 10 * MINUTE;
    await expect(f.jobs.sweep()).resolves.toBe(1);
    expect(f.control.get(WS, 'slow')).toMatchObject({ status: 'COMPLETED', executionCounts: { TIMED_OUT: 1 } });
    const late = await f.jobs.update(WS, 'thing-b', 'slow', { status: 'SUCCEEDED' });
    expect(late.answer).toEqual({ rejected: expect.objectContaining({ code: 'InvalidStateTransition', executionState: expect.objectContaining({ status: 'TIMED_OUT' }) }) });
  });

  it('cancels QUEUED executions, IN_PROGRESS ones only with force', async () => {
    await f.control.create(WS, { jobId: 'j1', targets: ['thing-a', 'thing-b'], document: {} });
    await f.jobs.startNext(WS, 'thing-a', {});
    const canceled = await f.control.cancel(WS, 'j1', { comment: 'wrong build' });
    expect(canceled).toMatchObject({ status: 'CANCELED', comment: 'wrong build', forceCanceled: false, executionCounts: { IN_PROGRESS: 1, CANCELED: 1 } });
    await expect(f.control.cancel(WS, 'j1', {})).rejects.toMatchObject({ code: 'conflict' });
    await expect(f.control.cancel(WS, 'j1', { force: true })).resolves.toMatchObject({ forceCanceled: true, executionCounts: { CANCELED: 2 } });
    expect(topicsOf(f.sent)).toContain('$aws/events/job/j1/canceled');
    await expect(f.control.cancel(OTHER_WS, 'j1', {})).rejects.toMatchObject({ code: 'not_found' });
  });

  it('serialises concurrent requests: only one of two racing updates with the same expectedVersion wins', async () => {
    await f.control.create(WS, { jobId: 'j1', targets: ['thing-a'], document: {} });
    const results = await Promise.all([
      f.jobs.update(WS, 'thing-a', 'j1', { status: 'IN_PROGRESS', expectedVersion: 1 }),
      f.jobs.update(WS, 'thing-a', 'j1', { status: 'IN_PROGRESS', expectedVersion: 1 }),
    ]);
    expect(results.map((result) => Object.keys(result.answer)[0]).sort()).toEqual(['accepted', 'rejected']);
  });

  it('keeps its writes after a restart', async () => {
    await f.control.create(WS, { jobId: 'j1', targets: ['thing-a'], document: { keep: true } });
    await f.jobs.update(WS, 'thing-a', 'j1', { status: 'IN_PROGRESS', statusDetails: { at: '50%' } });
    f.db.close();
    f.db = openDatabase(join(f.dir, 'jobs.db'), { module: 'jobs', migrations: JOB_MIGRATIONS });
    const reopened = new SqliteJobRepository(f.db);
    expect(reopened.getExecution(WS, 'thing-a', 'j1')).toMatchObject({ status: 'IN_PROGRESS', statusDetails: { at: '50%' }, versionNumber: 2 });
    expect(reopened.getJob(WS, 'j1')?.document).toEqual({ keep: true });
  });
});

describe('JobsService faults', () => {
  it('answers InternalError when the store fails, and RequestThrottled when too many requests wait', async () => {
    let failing = false;
    const f = fixture(undefined, (repository) =>
      new Proxy(repository, {
        get(target, property, receiver) {
          if (property === 'pendingExecutions' && failing) return () => { throw new Error('disk I/O error'); };
          return Reflect.get(target, property, receiver);
        },
      }),
    );
    try {
      failing = true;
      expect((await f.jobs.getPending(WS, 'thing-a')).answer).toEqual({ rejected: expect.objectContaining({ code: 'InternalError' }) });
      failing = false;
      const burst = await Promise.all(Array.from({ length: 60 }, () => f.jobs.getPending(WS, 'thing-a')));
      const codes = burst.map((result) => ('rejected' in result.answer ? result.answer.rejected.code : 'accepted'));
      expect(codes.filter((code) => code === 'RequestThrottled')).toHaveLength(10);
      expect(codes.filter((code) => code === 'accepted')).toHaveLength(50);
    } finally {
      f.db.close();
      rmSync(f.dir, { recursive: true, force: true });
    }
  });
});
