import type { JobDocument, JobExecutionStatus, JobStatus, JobTimeoutConfig, StatusDetails } from '@citus/contracts';

/** A job as stored. Times are epoch milliseconds; the device API shows them in seconds. */
export interface JobRecord {
  workspaceId: string;
  jobId: string;
  document: JobDocument;
  description?: string;
  status: JobStatus;
  timeoutConfig?: JobTimeoutConfig;
  forceCanceled: boolean;
  comment?: string;
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
  /** Stores an execution; a new one comes after every earlier one in its thing's pending order. */
  saveExecution(execution: ExecutionRecord): void;
  /** Pending executions whose step or in-progress timer ran out by `now`, at most `limit`. */
  dueExecutions(now: number, limit: number): ExecutionRecord[];
}
