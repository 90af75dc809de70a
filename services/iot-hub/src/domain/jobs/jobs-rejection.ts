import type { JobExecutionState, JobsErrorCode } from '@citus/contracts';
import type { ExecutionRecord } from './job.model.js';

/** Why the hub refuses a device's jobs request: a value, answered on the request's `/rejected` topic. */
export interface JobsRejection {
  code: JobsErrorCode;
  message: string;
  /** Only with InvalidStateTransition and VersionMismatch (AWS IoT Jobs, ErrorResponse). */
  executionState?: JobExecutionState;
}

export const stateOf = (execution: ExecutionRecord): JobExecutionState => ({
  status: execution.status,
  ...(Object.keys(execution.statusDetails).length > 0 ? { statusDetails: execution.statusDetails } : {}),
  versionNumber: execution.versionNumber,
});

export const rejection = (code: JobsErrorCode, message: string, execution?: ExecutionRecord): JobsRejection =>
  execution ? { code, message, executionState: stateOf(execution) } : { code, message };

export const noSuchExecution = (jobId: string): JobsRejection =>
  rejection('ResourceNotFound', `no job execution of ${jobId} for this thing`);
