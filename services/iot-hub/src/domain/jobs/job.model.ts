import type {
  AbortConfig,
  HealthGate,
  JobDocument,
  JobEventType,
  JobExecutionsRolloutConfig,
  JobExecutionStatus,
  JobReasonCode,
  JobStatus,
  JobTimeoutConfig,
  RolloutProgress,
  StatusDetails,
} from '@citus/contracts';

/** How a job reaches its targets, as asked when it was created. */
export interface RolloutSettings {
  rate?: JobExecutionsRolloutConfig;
  abort?: AbortConfig;
  /** Epoch ms; the job is SCHEDULED until then. */
  startAt?: number;
  healthGate?: HealthGate;
}

/** What the rollout keeps between ticks; changed only in the jobs queue. */
export interface RolloutRunState {
  /** Targets that may be told now, fractional: the rate adds to it as time passes. */
  credit: number;
  /** Epoch ms of the last tick that added credit. */
  lastTickAt: number;
  /** How many times the exponential rate was raised. */
  increases: number;
  /** Targets told and executions succeeded when the rate was last raised, for its criteria. */
  notifiedAtIncrease: number;
  succeededAtIncrease: number;
  /** Set while paused, by the health gate or a person. */
  paused?: { reason: string };
  /** When the rollout was last resumed: the health gate judges only what came after it. */
  resumedAt?: number;
  lastHealthCheck?: NonNullable<RolloutProgress['lastHealthCheck']>;
}

/** A job as stored. Times are epoch milliseconds; the device API shows them in seconds. */
export interface JobRecord {
  workspaceId: string;
  jobId: string;
  document: JobDocument;
  description?: string;
  status: JobStatus;
  timeoutConfig?: JobTimeoutConfig;
  /** The thing groups whose things were made targets when the job was created. */
  thingGroups?: string[];
  /** Absent: every target is told when the job is created. */
  rollout?: RolloutSettings;
  rolloutState?: RolloutRunState;
  forceCanceled: boolean;
  comment?: string;
  reasonCode?: JobReasonCode;
  createdAt: number;
  lastUpdatedAt: number;
  completedAt?: number;
}

/** One thing's run of a job. Rollouts, retries and abort configs (OTA) will add executions and fields. */
export interface ExecutionRecord {
  workspaceId: string;
  jobId: string;
  thingName: string;
  executionNumber: number;
  status: JobExecutionStatus;
  statusDetails: StatusDetails;
  queuedAt: number;
  startedAt?: number;
  lastUpdatedAt: number;
  versionNumber: number;
  /** When the step timer (`stepTimeoutInMinutes`) runs out. */
  stepDeadline?: number;
  /** When the job's `timeoutConfig.inProgressTimeoutInMinutes` runs out, counted from IN_PROGRESS. */
  inProgressDeadline?: number;
}

/** One entry of a job's history, as stored; `at` is epoch ms. */
export interface JobEventRecord {
  workspaceId: string;
  jobId: string;
  at: number;
  type: JobEventType;
  thingName?: string;
  status?: JobExecutionStatus;
  reasonCode?: JobReasonCode;
  detail?: string;
}

/** Where a target of a rolled-out job stands before it has an execution. */
export type TargetState = 'WAITING' | 'RELEASED' | 'CANCELED' | 'REMOVED';

/** Port: where jobs and their executions are kept. Implementations are synchronous and transactional. */
export interface JobRepository {
  /** Runs `work` in one transaction; a nested call is a savepoint, undone alone if it throws. */
  transaction<T>(work: () => T): T;
  /** False when the workspace already has a job with that id. */
  insertJob(job: JobRecord): boolean;
  updateJob(job: JobRecord): void;
  getJob(workspaceId: string, jobId: string): JobRecord | undefined;
  /** Newest first. */
  listJobs(workspaceId: string): JobRecord[];
  /** The given execution number, or the latest one. */
  getExecution(workspaceId: string, thingName: string, jobId: string, executionNumber?: number): ExecutionRecord | undefined;
  /** QUEUED and IN_PROGRESS executions of a thing, oldest first. */
  pendingExecutions(workspaceId: string, thingName: string): ExecutionRecord[];
  executionsOfJob(workspaceId: string, jobId: string): ExecutionRecord[];
  countPendingOfJob(workspaceId: string, jobId: string): number;
  /** How many of the job's executions are in each status. */
  executionCounts(workspaceId: string, jobId: string): Record<JobExecutionStatus, number>;
  /** Stores an execution; a new one comes after every earlier one in its thing's pending order. */
  saveExecution(execution: ExecutionRecord): void;
  /** Pending executions whose step or in-progress timer ran out by `now`, at most `limit`. */
  dueExecutions(now: number, limit: number): ExecutionRecord[];
  /** Keeps a rolled-out job's targets, WAITING, in the given order. */
  insertTargets(workspaceId: string, jobId: string, thingNames: readonly string[]): void;
  /** Up to `limit` WAITING targets of a job, in their order. */
  waitingTargets(workspaceId: string, jobId: string, limit: number): string[];
  setTargetState(workspaceId: string, jobId: string, thingName: string, state: TargetState): void;
  /** Every WAITING target of the job becomes CANCELED; answers how many. */
  cancelWaitingTargets(workspaceId: string, jobId: string): number;
  /** Every target of the job, told or not, in their order, with where it stands (only jobs with a rollout have any). */
  targetsOfJob(workspaceId: string, jobId: string): Array<{ thingName: string; state: TargetState }>;
  /** A deleted thing's WAITING targets become REMOVED; answers the jobs they were of. */
  cancelWaitingOfThing(workspaceId: string, thingName: string): string[];
  appendEvent(event: JobEventRecord): void;
  /** Up to `limit` events of the job after sequence `after`, oldest first, with their sequence. */
  eventsOfJob(workspaceId: string, jobId: string, after: number, limit: number): Array<JobEventRecord & { sequence: number }>;
  /** Jobs, of every workspace, whose rollout still has work: SCHEDULED, or IN_PROGRESS with a rollout. */
  activeRollouts(): JobRecord[];
}
