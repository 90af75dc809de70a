import { z } from 'zod';
import { ThingName } from './device.schema.js';
import { JobDocument, JobExecutionStatus, JobId, StatusDetails, TimeoutMinutes } from './jobs.schema.js';

/** AWS IoT's largest job document. */
export const MAX_JOB_DOCUMENT_BYTES = 32 * 1024;

export const JobPathParams = z.object({ jobId: JobId });
export type JobPathParams = z.infer<typeof JobPathParams>;

/** A job's timers; AWS's `timeoutConfig`. Rollout and abort configs come with OTA. */
export const JobTimeoutConfig = z.object({ inProgressTimeoutInMinutes: TimeoutMinutes }).strict();
export type JobTimeoutConfig = z.infer<typeof JobTimeoutConfig>;

export const CreateJobRequest = z
  .object({
    /** Generated when absent. */
    jobId: JobId.optional(),
    /** Thing names of the caller's workspace, each once. */
    targets: z
      .array(ThingName)
      .min(1)
      .max(10_000)
      .refine((targets) => new Set(targets).size === targets.length, 'a target is listed twice'),
    document: JobDocument.refine(
      (document) => Buffer.byteLength(JSON.stringify(document)) <= MAX_JOB_DOCUMENT_BYTES,
      `the document is larger than ${MAX_JOB_DOCUMENT_BYTES} bytes`,
    ),
    description: z.string().min(1).max(2028).optional(),
    timeoutConfig: JobTimeoutConfig.optional(),
  })
  .strict();
export type CreateJobRequest = z.infer<typeof CreateJobRequest>;

export const CreateJobResponse = z.object({ jobId: JobId });
export type CreateJobResponse = z.infer<typeof CreateJobResponse>;

export const CancelJobRequest = z
  .object({
    /** Also cancel IN_PROGRESS executions; without it only QUEUED ones are canceled, as AWS does. */
    force: z.boolean().optional(),
    comment: z.string().min(1).max(2028).optional(),
  })
  .strict();
export type CancelJobRequest = z.infer<typeof CancelJobRequest>;

export const JobStatus = z.enum(['IN_PROGRESS', 'CANCELED', 'COMPLETED']);
export type JobStatus = z.infer<typeof JobStatus>;

export const JobSummary = z.object({
  jobId: JobId,
  status: JobStatus,
  description: z.string().optional(),
  createdAt: z.string(),
  lastUpdatedAt: z.string(),
  completedAt: z.string().optional(),
});
export type JobSummary = z.infer<typeof JobSummary>;

export const JobList = z.object({ items: z.array(JobSummary) });
export type JobList = z.infer<typeof JobList>;

export const Job = JobSummary.extend({
  document: JobDocument,
  targets: z.array(ThingName),
  timeoutConfig: JobTimeoutConfig.optional(),
  forceCanceled: z.boolean(),
  comment: z.string().optional(),
  /** How many executions are in each status. */
  executionCounts: z.record(JobExecutionStatus, z.number().int().nonnegative()),
});
export type Job = z.infer<typeof Job>;

export const JobExecutionView = z.object({
  jobId: JobId,
  thingName: ThingName,
  executionNumber: z.number().int(),
  status: JobExecutionStatus,
  statusDetails: StatusDetails,
  versionNumber: z.number().int(),
  queuedAt: z.string(),
  startedAt: z.string().optional(),
  lastUpdatedAt: z.string(),
});
export type JobExecutionView = z.infer<typeof JobExecutionView>;

export const JobExecutionList = z.object({ items: z.array(JobExecutionView) });
export type JobExecutionList = z.infer<typeof JobExecutionList>;
