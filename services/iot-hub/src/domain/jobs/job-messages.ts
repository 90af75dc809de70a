import type {
  JobEvent,
  JobExecution,
  JobExecutionEvent,
  JobExecutionsChangedEvent,
  JobExecutionSummary,
  NextJobExecutionChangedEvent,
} from '@citus/contracts';
import type { OutboundMessage } from '../message-publisher.port.js';
import { nextPending, secondsBeforeTimeout } from './job-execution.rules.js';
import type { ExecutionRecord, JobRecord } from './job.model.js';

/** The device API's timestamps are epoch seconds (AWS IoT Jobs device MQTT API). */
export const epochSeconds = (ms: number): number => Math.floor(ms / 1000);

/** `jobs/notify` lists at most this many summaries per status. */
export const NOTIFY_LIST_LIMIT = 15;

export function summaryOf(execution: ExecutionRecord): JobExecutionSummary {
  return {
    jobId: execution.jobId,
    queuedAt: epochSeconds(execution.queuedAt),
    ...(execution.startedAt === undefined ? {} : { startedAt: epochSeconds(execution.startedAt) }),
    lastUpdatedAt: epochSeconds(execution.lastUpdatedAt),
    versionNumber: execution.versionNumber,
    executionNumber: execution.executionNumber,
  };
}

/** The JobExecution data type; the document only when asked for. */
export function executionView(execution: ExecutionRecord, job: JobRecord | undefined, now: number): JobExecution {
  const seconds = secondsBeforeTimeout(execution, now);
  return {
    ...summaryOf(execution),
    thingName: execution.thingName,
    ...(job ? { jobDocument: job.document } : {}),
    status: execution.status,
    ...(Object.keys(execution.statusDetails).length > 0 ? { statusDetails: execution.statusDetails } : {}),
    ...(seconds === undefined ? {} : { approximateSecondsBeforeTimedOut: seconds }),
  };
}

/** What a thing's pending list looks like to `notify`: which job is in which status. */
const listKey = (pending: readonly ExecutionRecord[]): string => pending.map((execution) => `${execution.jobId}:${execution.status}`).join(',');

export interface PendingChange {
  thingName: string;
  before: readonly ExecutionRecord[];
  after: readonly ExecutionRecord[];
}

/**
 * The messages a change of a thing's pending executions sends it: `notify` when an execution joined,
 * left or changed list (JobExecutionsChanged), `notify-next` when the next execution is another one
 * (NextJobExecutionChanged: "not sent when the next job's execution details change").
 */
export function pendingChangeMessages(change: PendingChange, jobOf: (jobId: string) => JobRecord | undefined, now: number): OutboundMessage[] {
  const topic = `$aws/things/${change.thingName}/jobs`;
  const timestamp = epochSeconds(now);
  const messages: OutboundMessage[] = [];
  if (listKey(change.before) !== listKey(change.after)) {
    const inProgress = change.after.filter((execution) => execution.status === 'IN_PROGRESS').slice(0, NOTIFY_LIST_LIMIT);
    const queued = change.after.filter((execution) => execution.status === 'QUEUED').slice(0, NOTIFY_LIST_LIMIT);
    const jobs: JobExecutionsChangedEvent['jobs'] = {};
    if (inProgress.length > 0) jobs.IN_PROGRESS = inProgress.map(summaryOf);
    if (queued.length > 0) jobs.QUEUED = queued.map(summaryOf);
    messages.push({ topic: `${topic}/notify`, payload: { jobs, timestamp } satisfies JobExecutionsChangedEvent });
  }
  const next = nextPending(change.after);
  if (nextPending(change.before)?.jobId !== next?.jobId) {
    const payload: NextJobExecutionChangedEvent = next ? { execution: executionView(next, jobOf(next.jobId), now), timestamp } : { timestamp };
    messages.push({ topic: `${topic}/notify-next`, payload });
  }
  return messages;
}

const EXECUTION_OPERATIONS: Partial<Record<ExecutionRecord['status'], JobExecutionEvent['operation']>> = {
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  REJECTED: 'rejected',
  CANCELED: 'canceled',
  TIMED_OUT: 'timed_out',
  REMOVED: 'removed',
};

/** `$aws/events/jobExecution/{jobId}/{operation}` when an execution ends (AWS IoT "Jobs events"). */
export function executionEventMessage(execution: ExecutionRecord, eventId: string, now: number): OutboundMessage | undefined {
  const operation = EXECUTION_OPERATIONS[execution.status];
  if (!operation) return undefined;
  const payload: JobExecutionEvent = {
    eventType: 'JOB_EXECUTION',
    eventId,
    timestamp: epochSeconds(now),
    operation,
    jobId: execution.jobId,
    thingName: execution.thingName,
    status: execution.status,
    ...(Object.keys(execution.statusDetails).length > 0 ? { statusDetails: execution.statusDetails } : {}),
  };
  return { topic: `$aws/events/jobExecution/${execution.jobId}/${operation}`, payload };
}

/** `$aws/events/job/{jobId}/{completed|canceled}`. */
export function jobEventMessage(job: JobRecord, executions: readonly ExecutionRecord[], eventId: string, now: number): OutboundMessage | undefined {
  if (job.status !== 'COMPLETED' && job.status !== 'CANCELED') return undefined;
  const status = job.status;
  const operation = status === 'COMPLETED' ? 'completed' : 'canceled';
  const counts: Record<string, number> = {};
  for (const execution of executions) {
    const key = `numberOf${execution.status.charAt(0)}${execution.status.slice(1).toLowerCase().replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())}Things`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const payload: JobEvent = {
    eventType: 'JOB',
    eventId,
    timestamp: epochSeconds(now),
    operation,
    jobId: job.jobId,
    status,
    targets: executions.map((execution) => execution.thingName),
    ...(job.description ? { description: job.description } : {}),
    createdAt: epochSeconds(job.createdAt),
    lastUpdatedAt: epochSeconds(job.lastUpdatedAt),
    ...(job.completedAt === undefined ? {} : { completedAt: epochSeconds(job.completedAt) }),
    ...(job.comment ? { comment: job.comment } : {}),
    jobProcessDetails: counts,
  };
  return { topic: `$aws/events/job/${job.jobId}/${operation}`, payload };
}
