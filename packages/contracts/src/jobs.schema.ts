import { z } from 'zod';
import type { MqttTopicSpec } from './mqtt-topic.js';
import { MAX_CLIENT_TOKEN_BYTES, utf8Bytes } from './shadow.schema.js';

/**
 * AWS IoT Jobs, device side (AWS IoT Developer Guide, "Jobs device MQTT API"). Timestamps are
 * epoch seconds. Request schemas strip unknown keys: the SDK's `iotjobs` client serialises its
 * whole request object, `thingName` and `jobId` included.
 */

/** Every status of a job execution; devices set only IN_PROGRESS, SUCCEEDED, FAILED and REJECTED. */
export const JobExecutionStatus = z.enum(['QUEUED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'REMOVED', 'CANCELED']);
export type JobExecutionStatus = z.infer<typeof JobExecutionStatus>;

/** The `code` of a rejection on a jobs `/rejected` topic. */
export const JobsErrorCode = z.enum([
  'InvalidTopic',
  'InvalidJson',
  'InvalidRequest',
  'InvalidStateTransition',
  'ResourceNotFound',
  'VersionMismatch',
  'InternalError',
  'RequestThrottled',
  'TerminalStateReached',
]);
export type JobsErrorCode = z.infer<typeof JobsErrorCode>;

/** AWS IoT job ids: 1-64 of letters, digits, `_` and `-`. */
export const JobId = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'invalid job id');
export type JobId = z.infer<typeof JobId>;

/** The SDK puts a UUID here and matches replies by it; AWS allows at most 64 bytes. */
export const JobsClientToken = z
  .string()
  .min(1)
  .refine((token) => utf8Bytes(token) <= MAX_CLIENT_TOKEN_BYTES, 'clientToken is longer than 64 bytes');

/** AWS's limits on status details: keys `[a-zA-Z0-9:_-]{1,128}`, string values of 1-1024 characters. */
export const StatusDetails = z.record(z.string().regex(/^[a-zA-Z0-9:_-]{1,128}$/, 'invalid status detail name'), z.string().min(1).max(1024));
export type StatusDetails = z.infer<typeof StatusDetails>;

/** A job document: any JSON object (AWS allows up to 32 KB). */
export const JobDocument = z.record(z.string(), z.unknown());
export type JobDocument = z.infer<typeof JobDocument>;

/** 1 minute to 7 days, as AWS allows for step and in-progress timers. */
export const TimeoutMinutes = z.number().int().min(1).max(10_080);

const EpochSeconds = z.number().int();

export const GetPendingJobExecutionsRequest = z.object({ clientToken: JobsClientToken.optional() });
export type GetPendingJobExecutionsRequest = z.infer<typeof GetPendingJobExecutionsRequest>;

export const StartNextPendingJobExecutionRequest = z.object({
  clientToken: JobsClientToken.optional(),
  statusDetails: StatusDetails.optional(),
  stepTimeoutInMinutes: TimeoutMinutes.optional(),
});
export type StartNextPendingJobExecutionRequest = z.infer<typeof StartNextPendingJobExecutionRequest>;

export const DescribeJobExecutionRequest = z.object({
  clientToken: JobsClientToken.optional(),
  executionNumber: z.number().int().positive().optional(),
  /** Defaults to true. */
  includeJobDocument: z.boolean().optional(),
});
export type DescribeJobExecutionRequest = z.infer<typeof DescribeJobExecutionRequest>;

export const UpdateJobExecutionRequest = z.object({
  status: JobExecutionStatus,
  clientToken: JobsClientToken.optional(),
  statusDetails: StatusDetails.optional(),
  expectedVersion: z.number().int().nonnegative().optional(),
  executionNumber: z.number().int().positive().optional(),
  /** Defaults to false. */
  includeJobExecutionState: z.boolean().optional(),
  /** Defaults to false. */
  includeJobDocument: z.boolean().optional(),
  /** -1 cancels the step timer an earlier request set (UpdateJobExecution API reference). */
  stepTimeoutInMinutes: z.union([TimeoutMinutes, z.literal(-1)]).optional(),
});
export type UpdateJobExecutionRequest = z.infer<typeof UpdateJobExecutionRequest>;

export const JobExecutionSummary = z.object({
  jobId: z.string(),
  queuedAt: EpochSeconds,
  startedAt: EpochSeconds.optional(),
  lastUpdatedAt: EpochSeconds,
  versionNumber: z.number().int(),
  executionNumber: z.number().int(),
});
export type JobExecutionSummary = z.infer<typeof JobExecutionSummary>;

export const JobExecution = JobExecutionSummary.extend({
  thingName: z.string(),
  jobDocument: JobDocument.optional(),
  status: JobExecutionStatus,
  statusDetails: z.record(z.string(), z.string()).optional(),
  approximateSecondsBeforeTimedOut: z.number().int().optional(),
});
export type JobExecution = z.infer<typeof JobExecution>;

export const JobExecutionState = z.object({
  status: JobExecutionStatus,
  statusDetails: z.record(z.string(), z.string()).optional(),
  versionNumber: z.number().int(),
});
export type JobExecutionState = z.infer<typeof JobExecutionState>;

export const GetPendingJobExecutionsResponse = z.object({
  inProgressJobs: z.array(JobExecutionSummary),
  queuedJobs: z.array(JobExecutionSummary),
  timestamp: EpochSeconds,
  clientToken: z.string().optional(),
});
export type GetPendingJobExecutionsResponse = z.infer<typeof GetPendingJobExecutionsResponse>;

/** Also the answer of `$next/get`; without `execution` when nothing is pending. */
export const StartNextJobExecutionResponse = z.object({
  execution: JobExecution.optional(),
  timestamp: EpochSeconds,
  clientToken: z.string().optional(),
});
export type StartNextJobExecutionResponse = z.infer<typeof StartNextJobExecutionResponse>;

export const DescribeJobExecutionResponse = StartNextJobExecutionResponse;
export type DescribeJobExecutionResponse = z.infer<typeof DescribeJobExecutionResponse>;

export const UpdateJobExecutionResponse = z.object({
  executionState: JobExecutionState.optional(),
  jobDocument: JobDocument.optional(),
  timestamp: EpochSeconds,
  clientToken: z.string().optional(),
});
export type UpdateJobExecutionResponse = z.infer<typeof UpdateJobExecutionResponse>;

/** `jobs/notify`: the pending executions by status, at most 15 per list; `{}` when none is left. */
export const JobExecutionsChangedEvent = z.object({
  jobs: z.object({ IN_PROGRESS: z.array(JobExecutionSummary).optional(), QUEUED: z.array(JobExecutionSummary).optional() }),
  timestamp: EpochSeconds,
});
export type JobExecutionsChangedEvent = z.infer<typeof JobExecutionsChangedEvent>;

/** `jobs/notify-next`: the new next pending execution, or only a timestamp when none is left. */
export const NextJobExecutionChangedEvent = z.object({ execution: JobExecution.optional(), timestamp: EpochSeconds });
export type NextJobExecutionChangedEvent = z.infer<typeof NextJobExecutionChangedEvent>;

/** `executionState` comes only with InvalidStateTransition and VersionMismatch, as AWS documents. */
export const JobsRejectedResponse = z.object({
  code: JobsErrorCode,
  message: z.string(),
  clientToken: z.string().optional(),
  timestamp: EpochSeconds,
  executionState: JobExecutionState.optional(),
});
export type JobsRejectedResponse = z.infer<typeof JobsRejectedResponse>;

/** Cloud-side `$aws/events/job/{jobId}/{completed|canceled}` (AWS IoT "Jobs events"). */
export const JobEvent = z.object({
  eventType: z.literal('JOB'),
  eventId: z.string(),
  timestamp: EpochSeconds,
  operation: z.enum(['completed', 'canceled']),
  jobId: z.string(),
  status: z.enum(['COMPLETED', 'CANCELED']),
  targets: z.array(z.string()),
  description: z.string().optional(),
  createdAt: EpochSeconds,
  lastUpdatedAt: EpochSeconds,
  completedAt: EpochSeconds.optional(),
  comment: z.string().optional(),
  jobProcessDetails: z.record(z.string(), z.number().int()),
});
export type JobEvent = z.infer<typeof JobEvent>;

/** Cloud-side `$aws/events/jobExecution/{jobId}/{succeeded|failed|rejected|canceled|timed_out|removed}`. */
export const JobExecutionEvent = z.object({
  eventType: z.literal('JOB_EXECUTION'),
  eventId: z.string(),
  timestamp: EpochSeconds,
  operation: z.enum(['succeeded', 'failed', 'rejected', 'canceled', 'timed_out', 'removed']),
  jobId: z.string(),
  thingName: z.string(),
  status: JobExecutionStatus,
  statusDetails: z.record(z.string(), z.string()).optional(),
});
export type JobExecutionEvent = z.infer<typeof JobExecutionEvent>;

const J = '$aws/things/{thingName}/jobs';

/** A request topic with its `/accepted` and `/rejected` replies. */
function requestTopics(id: string, address: string, summary: string, request: z.ZodType, accepted: z.ZodType): MqttTopicSpec[] {
  return [
    { id, address, direction: 'device-sends', summary, payload: request },
    { id: `${id}Accepted`, address: `${address}/accepted`, direction: 'hub-sends', summary: `${summary}: the answer`, payload: accepted },
    {
      id: `${id}Rejected`,
      address: `${address}/rejected`,
      direction: 'hub-sends',
      summary: `${summary}: the rejection`,
      description: 'Codes InvalidJson, InvalidRequest, InvalidStateTransition, ResourceNotFound, VersionMismatch, TerminalStateReached, RequestThrottled, InternalError.',
      payload: JobsRejectedResponse,
    },
  ];
}

/** The Jobs topics of a device, as AWS IoT Core serves them; only the device itself may use them. */
export const JOBS_TOPICS: MqttTopicSpec[] = [
  ...requestTopics('getPendingJobExecutions', `${J}/get`, 'List the pending job executions', GetPendingJobExecutionsRequest, GetPendingJobExecutionsResponse),
  ...requestTopics(
    'startNextPendingJobExecution',
    `${J}/start-next`,
    'Start the next pending job execution',
    StartNextPendingJobExecutionRequest,
    StartNextJobExecutionResponse,
  ),
  ...requestTopics(
    'describeJobExecution',
    `${J}/{jobId}/get`,
    'Describe a job execution (`$next` for the next pending one)',
    DescribeJobExecutionRequest,
    DescribeJobExecutionResponse,
  ),
  ...requestTopics('updateJobExecution', `${J}/{jobId}/update`, 'Update a job execution', UpdateJobExecutionRequest, UpdateJobExecutionResponse),
  {
    id: 'jobExecutionsChanged',
    address: `${J}/notify`,
    direction: 'hub-sends',
    summary: 'The pending job executions changed',
    payload: JobExecutionsChangedEvent,
  },
  {
    id: 'nextJobExecutionChanged',
    address: `${J}/notify-next`,
    direction: 'hub-sends',
    summary: 'The next pending job execution changed',
    payload: NextJobExecutionChangedEvent,
  },
];
