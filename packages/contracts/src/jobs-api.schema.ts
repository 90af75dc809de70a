import { z } from 'zod';
import { ThingName } from './device.schema.js';
import { ThingGroupName } from './thing-group.schema.js';
import { HistoryEntry, historyPage } from './history.schema.js';
import { JobDocument, JobExecutionStatus, JobId, StatusDetails, TimeoutMinutes } from './jobs.schema.js';

/** The most things one job may target, listed or through its groups. */
export const MAX_JOB_TARGETS = 10_000;

/** AWS IoT's largest job document. */
export const MAX_JOB_DOCUMENT_BYTES = 32 * 1024;

export const JobPathParams = z.object({ jobId: JobId });
export type JobPathParams = z.infer<typeof JobPathParams>;

/** A job's timers; AWS's `timeoutConfig`. */
export const JobTimeoutConfig = z.object({ inProgressTimeoutInMinutes: TimeoutMinutes }).strict();
export type JobTimeoutConfig = z.infer<typeof JobTimeoutConfig>;

/** AWS IoT's bounds on a rollout rate, in things notified per minute. */
const RatePerMinute = z.number().int().min(1).max(1000);

/**
 * How fast targets are told of the job (AWS's `jobExecutionsRolloutConfig`): at most
 * `maximumPerMinute`, or a rate that starts at `baseRatePerMinute` and is multiplied by
 * `incrementFactor` each time `rateIncreaseCriteria` is met since the last increase (capped by
 * `maximumPerMinute` when both are given). Targets not yet told wait, and are counted as such.
 */
export const JobExecutionsRolloutConfig = z
  .object({
    maximumPerMinute: RatePerMinute.optional(),
    exponentialRate: z
      .object({
        baseRatePerMinute: RatePerMinute,
        /** 1.1 to 5, one decimal at most (AWS). */
        incrementFactor: z
          .number()
          .min(1.1)
          .max(5)
          .refine((factor) => Math.abs(factor * 10 - Math.round(factor * 10)) < 1e-9, 'incrementFactor takes one decimal at most'),
        rateIncreaseCriteria: z
          .object({
            numberOfNotifiedThings: z.number().int().min(1).max(10_000).optional(),
            numberOfSucceededThings: z.number().int().min(1).max(10_000).optional(),
          })
          .strict()
          .refine(
            (criteria) => (criteria.numberOfNotifiedThings === undefined) !== (criteria.numberOfSucceededThings === undefined),
            'name exactly one of numberOfNotifiedThings and numberOfSucceededThings',
          ),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((config) => config.maximumPerMinute !== undefined || config.exponentialRate !== undefined, 'name maximumPerMinute, exponentialRate or both')
  .refine(
    (config) => !config.exponentialRate || config.maximumPerMinute === undefined || config.exponentialRate.baseRatePerMinute <= config.maximumPerMinute,
    'baseRatePerMinute may not exceed maximumPerMinute',
  );
export type JobExecutionsRolloutConfig = z.infer<typeof JobExecutionsRolloutConfig>;

export const JobExecutionFailureType = z.enum(['FAILED', 'REJECTED', 'TIMED_OUT', 'ALL']);
export type JobExecutionFailureType = z.infer<typeof JobExecutionFailureType>;

/**
 * When a job cancels itself (AWS's `abortConfig`): once at least `minNumberOfExecutedThings`
 * executions have ended (succeeded, failed, rejected or timed out), the share of them that ended
 * in `failureType` (`ALL`: any of the three failures) reaching `thresholdPercentage` cancels the
 * job as CancelJob without `force` does: queued executions and targets not yet told are canceled.
 */
export const AbortCriteria = z
  .object({
    failureType: JobExecutionFailureType,
    action: z.literal('CANCEL'),
    thresholdPercentage: z
      .number()
      .gt(0)
      .max(100)
      .refine((percentage) => Math.abs(percentage * 100 - Math.round(percentage * 100)) < 1e-6, 'thresholdPercentage takes two decimals at most'),
    minNumberOfExecutedThings: z.number().int().min(1).max(10_000),
  })
  .strict();
export type AbortCriteria = z.infer<typeof AbortCriteria>;

export const AbortConfig = z.object({ criteriaList: z.array(AbortCriteria).min(1).max(4) }).strict();
export type AbortConfig = z.infer<typeof AbortConfig>;

/** A job that starts later (AWS's `schedulingConfig`): it is SCHEDULED and tells no target before `startTime`. */
export const SchedulingConfig = z
  .object({
    /** ISO 8601 with an offset, at most a year ahead. */
    startTime: z.string().datetime({ offset: true }),
  })
  .strict();
export type SchedulingConfig = z.infer<typeof SchedulingConfig>;

/**
 * A rollout's health gate: while the job rolls out, a signal measured on the things whose
 * execution SUCCEEDED (since they did, within the window) is compared with bounds and with the same
 * signal on the targets not yet updated. When a bound is broken the rollout pauses (no further
 * target is told until it is resumed) or the job is canceled. Signals: `mean`, the mean of a
 * numeric telemetry field; `anomalyRate`, the share (0 to 1) of that field's values the analytics
 * service found anomalous. A signal that cannot be read pauses the rollout.
 */
export const HealthGate = z
  .object({
    signal: z.enum(['mean', 'anomalyRate']).default('mean'),
    /** A numeric payload field, dotted for nested ones, as telemetry aggregates name it. */
    field: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,7}$/, 'a payload field, dotted for nested ones'),
    /** How far back the signal is read, in seconds. */
    windowSeconds: z.number().int().min(10).max(86_400).default(300),
    /** How many values of the field the updated things must have sent before the gate judges. */
    minSamples: z.number().int().min(1).max(100_000).default(10),
    /** The updated things' signal may not exceed this. */
    maxMean: z.number().finite().optional(),
    /** The updated things' signal may not fall below this. */
    minMean: z.number().finite().optional(),
    /** The updated things' signal may exceed the not-updated things' by at most this many percent of it. */
    maxIncreasePercent: z.number().min(0).max(100_000).optional(),
    /** How often the gate is checked while the rollout runs. */
    checkIntervalSeconds: z.number().int().min(1).max(3600).default(10),
    action: z.enum(['PAUSE', 'CANCEL']).default('PAUSE'),
  })
  .strict()
  .refine(
    (gate) => gate.maxMean !== undefined || gate.minMean !== undefined || gate.maxIncreasePercent !== undefined,
    'name at least one of maxMean, minMean and maxIncreasePercent',
  )
  .refine((gate) => gate.minMean === undefined || gate.maxMean === undefined || gate.minMean <= gate.maxMean, { message: 'minMean is above maxMean: no value could pass', path: ['minMean'] });
export type HealthGate = z.infer<typeof HealthGate>;

export const CreateJobRequest = z
  .object({
    /** Generated when absent. */
    jobId: JobId.optional(),
    /** Thing names of the caller's workspace, each once. */
    targets: z
      .array(ThingName)
      .max(MAX_JOB_TARGETS)
      .refine((targets) => new Set(targets).size === targets.length, 'a target is listed twice')
      .default([]),
    /**
     * Thing groups of the workspace (static or dynamic) whose things are targets too, as they are
     * when the job is created (AWS's SNAPSHOT target selection).
     */
    thingGroups: z
      .array(ThingGroupName)
      .min(1)
      .max(10)
      .refine((groups) => new Set(groups).size === groups.length, 'a group is listed twice')
      .optional(),
    document: JobDocument.refine(
      (document) => Buffer.byteLength(JSON.stringify(document)) <= MAX_JOB_DOCUMENT_BYTES,
      `the document is larger than ${MAX_JOB_DOCUMENT_BYTES} bytes`,
    ),
    description: z.string().min(1).max(2028).optional(),
    timeoutConfig: JobTimeoutConfig.optional(),
    jobExecutionsRolloutConfig: JobExecutionsRolloutConfig.optional(),
    abortConfig: AbortConfig.optional(),
    schedulingConfig: SchedulingConfig.optional(),
    healthGate: HealthGate.optional(),
  })
  .strict()
  .refine((request) => request.targets.length > 0 || request.thingGroups !== undefined, { message: 'name at least one target or thing group', path: ['targets'] })
  .refine((request) => !request.healthGate || request.jobExecutionsRolloutConfig, {
    message: 'a health gate needs a jobExecutionsRolloutConfig: without a rate every target is told at once and there is nothing left to gate',
    path: ['healthGate'],
  });
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

export const PauseJobRequest = z.object({ comment: z.string().min(1).max(2028).optional() }).strict();
export type PauseJobRequest = z.infer<typeof PauseJobRequest>;

export const JobStatus = z.enum(['SCHEDULED', 'IN_PROGRESS', 'CANCELED', 'COMPLETED']);
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

/** Why a job was canceled without a person asking: its abort criteria or its health gate. */
export const JobReasonCode = z.enum(['ABORT_CRITERIA', 'HEALTH_GATE']);
export type JobReasonCode = z.infer<typeof JobReasonCode>;

/** Where a rollout stands: targets are told while RUNNING; DONE once every target was told or the job ended. */
export const RolloutState = z.enum(['SCHEDULED', 'RUNNING', 'PAUSED', 'DONE']);
export type RolloutState = z.infer<typeof RolloutState>;

/** A rollout's progress: targets by where they stand (AWS's `jobProcessDetails`, plus the targets not yet told). */
export const RolloutProgress = z.object({
  state: RolloutState,
  /** Why it is paused: the health gate's finding, or a person. */
  pausedReason: z.string().optional(),
  /** Targets per minute now, when the job has a rollout config. */
  currentRatePerMinute: z.number().optional(),
  numberOfWaitingThings: z.number().int().nonnegative(),
  numberOfQueuedThings: z.number().int().nonnegative(),
  numberOfInProgressThings: z.number().int().nonnegative(),
  numberOfSucceededThings: z.number().int().nonnegative(),
  numberOfFailedThings: z.number().int().nonnegative(),
  numberOfTimedOutThings: z.number().int().nonnegative(),
  numberOfRejectedThings: z.number().int().nonnegative(),
  numberOfCanceledThings: z.number().int().nonnegative(),
  numberOfRemovedThings: z.number().int().nonnegative(),
  /** The health gate's last check, when the job has one. */
  lastHealthCheck: z
    .object({
      at: z.string(),
      healthy: z.boolean(),
      updatedMean: z.number().optional(),
      updatedSamples: z.number().int(),
      baselineMean: z.number().optional(),
      baselineSamples: z.number().int(),
      finding: z.string(),
    })
    .optional(),
});
export type RolloutProgress = z.infer<typeof RolloutProgress>;

export const Job = JobSummary.extend({
  document: JobDocument,
  /** Every target, told or not yet, those of its groups included. */
  targets: z.array(ThingName),
  thingGroups: z.array(ThingGroupName).optional(),
  timeoutConfig: JobTimeoutConfig.optional(),
  jobExecutionsRolloutConfig: JobExecutionsRolloutConfig.optional(),
  abortConfig: AbortConfig.optional(),
  schedulingConfig: SchedulingConfig.optional(),
  healthGate: HealthGate.optional(),
  forceCanceled: z.boolean(),
  comment: z.string().optional(),
  reasonCode: JobReasonCode.optional(),
  /** How many executions are in each status. */
  executionCounts: z.record(JobExecutionStatus, z.number().int().nonnegative()),
  rollout: RolloutProgress,
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

/**
 * What happened to a job, in order: created, a scheduled rollout started, paused (by a person or
 * the health gate: `detail` says why), resumed, canceled (`reasonCode` when its abort criteria or
 * health gate did it), completed; and each execution's change of status (`thingName`, `status`).
 */
export const JobEventType = z.enum(['job.created', 'rollout.started', 'rollout.paused', 'rollout.resumed', 'job.canceled', 'job.completed', 'execution']);
export type JobEventType = z.infer<typeof JobEventType>;

export const JobHistoryEvent = HistoryEntry.extend({
  type: JobEventType,
  thingName: ThingName.optional(),
  status: JobExecutionStatus.optional(),
  reasonCode: JobReasonCode.optional(),
});
export type JobHistoryEvent = z.infer<typeof JobHistoryEvent>;

export const JobEventPage = historyPage(JobHistoryEvent);
export type JobEventPage = z.infer<typeof JobEventPage>;
