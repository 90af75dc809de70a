import type { JobExecutionStatus, StatusDetails, UpdateJobExecutionRequest } from '@citus/contracts';
import type { ExecutionRecord, JobRecord } from './job.model.js';
import { rejection, type JobsRejection } from './jobs-rejection.js';

const MINUTE_MS = 60_000;

/** Statuses an execution never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<JobExecutionStatus> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'REMOVED', 'CANCELED']);

export const isTerminal = (status: JobExecutionStatus): boolean => TERMINAL_STATUSES.has(status);
export const isPending = (status: JobExecutionStatus): boolean => status === 'QUEUED' || status === 'IN_PROGRESS';

/**
 * What a device may move its execution to (UpdateJobExecution: "IN_PROGRESS, FAILED, SUCCEEDED,
 * or REJECTED"), from QUEUED or IN_PROGRESS. TIMED_OUT, CANCELED and REMOVED are the service's.
 */
const DEVICE_TRANSITIONS: Readonly<Record<JobExecutionStatus, readonly JobExecutionStatus[]>> = {
  QUEUED: ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED'],
  IN_PROGRESS: ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED'],
  SUCCEEDED: [],
  FAILED: [],
  TIMED_OUT: [],
  REJECTED: [],
  REMOVED: [],
  CANCELED: [],
};

export const mayDeviceMove = (from: JobExecutionStatus, to: JobExecutionStatus): boolean => DEVICE_TRANSITIONS[from].includes(to);

/** A new QUEUED execution of a job for a thing, queued when the job was created unless told otherwise (a rollout). */
export function queuedExecution(job: JobRecord, thingName: string, queuedAt = job.createdAt): ExecutionRecord {
  return {
    workspaceId: job.workspaceId,
    jobId: job.jobId,
    thingName,
    executionNumber: 1,
    status: 'QUEUED',
    statusDetails: {},
    queuedAt,
    lastUpdatedAt: queuedAt,
    versionNumber: 1,
  };
}

/**
 * The next pending execution, as DescribeJobExecution with `$next` and StartNextPendingJobExecution
 * define it: IN_PROGRESS ones first, then in the order they were created. `pending` is oldest first.
 */
export function nextPending(pending: readonly ExecutionRecord[]): ExecutionRecord | undefined {
  return pending.find((execution) => execution.status === 'IN_PROGRESS') ?? pending.find((execution) => execution.status === 'QUEUED');
}

/** Moves to IN_PROGRESS, starting the job's in-progress timer and the step timer when asked. */
function startProgress(execution: ExecutionRecord, job: JobRecord, now: number): ExecutionRecord {
  const minutes = job.timeoutConfig?.inProgressTimeoutInMinutes;
  return {
    ...execution,
    status: 'IN_PROGRESS',
    startedAt: execution.startedAt ?? now,
    inProgressDeadline: execution.inProgressDeadline ?? (minutes === undefined ? undefined : now + minutes * MINUTE_MS),
  };
}

/**
 * StartNextPendingJobExecution on the next pending execution: a QUEUED one becomes IN_PROGRESS with
 * the given status details and step timer; an IN_PROGRESS one is returned unchanged (AWS docs).
 */
export function startNext(
  execution: ExecutionRecord,
  job: JobRecord,
  request: { statusDetails?: StatusDetails; stepTimeoutInMinutes?: number },
  now: number,
): ExecutionRecord {
  if (execution.status !== 'QUEUED') return execution;
  const started = startProgress(execution, job, now);
  return {
    ...started,
    statusDetails: request.statusDetails ?? execution.statusDetails,
    stepDeadline: request.stepTimeoutInMinutes === undefined ? undefined : now + request.stepTimeoutInMinutes * MINUTE_MS,
    versionNumber: execution.versionNumber + 1,
    lastUpdatedAt: now,
  };
}

/**
 * UpdateJobExecution. The version check comes first, so a device that lost track learns the current
 * state; then the transition. An execution in a terminal state accepts no move at all.
 */
export function applyUpdate(
  execution: ExecutionRecord,
  job: JobRecord,
  request: UpdateJobExecutionRequest,
  now: number,
): { execution: ExecutionRecord } | { rejection: JobsRejection } {
  if (request.expectedVersion !== undefined && request.expectedVersion !== execution.versionNumber) {
    return { rejection: rejection('VersionMismatch', `expected version ${request.expectedVersion}, the execution is at ${execution.versionNumber}`, execution) };
  }
  if (!mayDeviceMove(execution.status, request.status)) {
    const why = isTerminal(execution.status) ? 'is in a terminal state' : `cannot move to ${request.status}`;
    return { rejection: rejection('InvalidStateTransition', `the execution, ${execution.status}, ${why}`, execution) };
  }
  const base: ExecutionRecord = {
    ...execution,
    statusDetails: request.statusDetails ?? execution.statusDetails,
    versionNumber: execution.versionNumber + 1,
    lastUpdatedAt: now,
  };
  if (isTerminal(request.status)) return { execution: { ...base, status: request.status, stepDeadline: undefined, inProgressDeadline: undefined } };
  const started = startProgress(base, job, now);
  const step = request.stepTimeoutInMinutes;
  // -1 cancels the step timer; no value keeps the one running (UpdateJobExecution API reference).
  const stepDeadline = step === undefined ? execution.stepDeadline : step === -1 ? undefined : now + step * MINUTE_MS;
  return { execution: { ...started, stepDeadline } };
}

/** A timer ran out before the device reached a terminal state. */
export function timeOut(execution: ExecutionRecord, now: number): ExecutionRecord {
  return { ...execution, status: 'TIMED_OUT', stepDeadline: undefined, inProgressDeadline: undefined, versionNumber: execution.versionNumber + 1, lastUpdatedAt: now };
}

/**
 * The thing left the job's targets (here: it was deleted from the registry). AWS IoT Jobs marks such
 * an execution REMOVED ("the thing was removed from the job's targets"), a terminal status.
 */
export function removeExecution(execution: ExecutionRecord, now: number): ExecutionRecord {
  return { ...execution, status: 'REMOVED', stepDeadline: undefined, inProgressDeadline: undefined, versionNumber: execution.versionNumber + 1, lastUpdatedAt: now };
}

/** Whether a timer of this pending execution has run out by `now`. */
export function isDue(execution: ExecutionRecord, now: number): boolean {
  if (!isPending(execution.status)) return false;
  return [execution.stepDeadline, execution.inProgressDeadline].some((deadline) => deadline !== undefined && deadline <= now);
}

/** CancelJob: QUEUED executions are canceled; IN_PROGRESS ones only when forced (AWS IoT CancelJob). */
export function cancelExecution(execution: ExecutionRecord, force: boolean, now: number): ExecutionRecord | undefined {
  if (execution.status !== 'QUEUED' && !(force && execution.status === 'IN_PROGRESS')) return undefined;
  return { ...execution, status: 'CANCELED', stepDeadline: undefined, inProgressDeadline: undefined, versionNumber: execution.versionNumber + 1, lastUpdatedAt: now };
}

/** Seconds until the first running timer fires, for `approximateSecondsBeforeTimedOut`. */
export function secondsBeforeTimeout(execution: ExecutionRecord, now: number): number | undefined {
  const deadlines = [execution.stepDeadline, execution.inProgressDeadline].filter((deadline): deadline is number => deadline !== undefined);
  if (deadlines.length === 0 || !isPending(execution.status)) return undefined;
  return Math.max(0, Math.round((Math.min(...deadlines) - now) / 1000));
}
