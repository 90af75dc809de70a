import type { ApiRoute } from './api-route.js';
import { HistoryQuery } from './history.schema.js';
import {
  CancelJobRequest,
  CreateJobRequest,
  CreateJobResponse,
  Job,
  JobEventPage,
  JobExecutionList,
  JobList,
  JobPathParams,
  PauseJobRequest,
} from './jobs-api.schema.js';

const jobs = { tag: 'jobs', access: 'user', workspaceScoped: true } as const;
const byId = { ...jobs, params: JobPathParams } as const;

/**
 * The jobs control plane: a job sends a document to a list of things, which run it through the
 * AWS IoT Jobs device API. Reads need the `user` role (API keys: `jobs:read`), changes the
 * `developer` role (API keys: `jobs:write`). A job or
 * thing of another workspace answers 404, like one that does not exist.
 */
export const JOBS_ROUTES: ApiRoute[] = [
  {
    ...jobs,
    operationId: 'createJob',
    method: 'post',
    path: '/api/v1/jobs',
    apiKeyScope: 'jobs:write',
    summary: 'Create a job for a list of things (developer role, or an API key with jobs:write)',
    description:
      'Every target must be a thing of the workspace; the answer names those that are not. Without rollout settings, ' +
      'connected targets are told at once on `$aws/things/{thingName}/jobs/notify` and `notify-next`. With ' +
      '`jobExecutionsRolloutConfig` targets are told at that rate (AWS IoT Jobs rollouts); `schedulingConfig` holds ' +
      'the job SCHEDULED until its start time; `abortConfig` cancels it when too many executions fail; `healthGate` ' +
      'pauses or cancels it when the updated things\' telemetry breaks its bounds. `GET` shows the progress.',
    body: CreateJobRequest,
    responses: { 201: { description: 'The job id', schema: CreateJobResponse } },
    errors: [400, 401, 403, 404, 409, 413],
  },
  {
    ...jobs,
    operationId: 'listJobs',
    method: 'get',
    path: '/api/v1/jobs',
    apiKeyScope: 'jobs:read',
    summary: "List the workspace's jobs, newest first",
    responses: { 200: { description: 'Jobs', schema: JobList } },
    errors: [401, 404],
  },
  {
    ...byId,
    operationId: 'getJob',
    method: 'get',
    path: '/api/v1/jobs/{jobId}',
    apiKeyScope: 'jobs:read',
    summary: 'Get a job, its document and how its executions stand',
    responses: { 200: { description: 'The job', schema: Job } },
    errors: [400, 401, 404],
  },
  {
    ...byId,
    operationId: 'listJobExecutions',
    method: 'get',
    path: '/api/v1/jobs/{jobId}/executions',
    apiKeyScope: 'jobs:read',
    summary: "A job's executions, one per target",
    responses: { 200: { description: 'Executions', schema: JobExecutionList } },
    errors: [400, 401, 404],
  },
  {
    ...byId,
    operationId: 'listJobEvents',
    method: 'get',
    path: '/api/v1/jobs/{jobId}/events',
    apiKeyScope: 'jobs:read',
    summary: "A job's history, oldest first: its rollout's steps and each execution's change of status",
    query: HistoryQuery,
    responses: { 200: { description: 'Events', schema: JobEventPage } },
    errors: [400, 401, 404],
  },
  {
    ...byId,
    operationId: 'cancelJob',
    method: 'post',
    path: '/api/v1/jobs/{jobId}/cancel',
    apiKeyScope: 'jobs:write',
    summary: 'Cancel a job (developer role, or an API key with jobs:write)',
    description:
      'QUEUED executions become CANCELED; IN_PROGRESS ones too only with `force`, as AWS IoT does. A completed job ' +
      'cannot be canceled (409), nor a canceled one again without `force`.',
    body: CancelJobRequest,
    responses: { 200: { description: 'The canceled job', schema: Job } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    ...byId,
    operationId: 'pauseJobRollout',
    method: 'post',
    path: '/api/v1/jobs/{jobId}/pause',
    apiKeyScope: 'jobs:write',
    summary: "Pause a job's rollout (developer role, or an API key with jobs:write)",
    description:
      'Targets not yet told wait until the rollout is resumed; executions already queued or in progress go on. Only a ' +
      'job created with rollout settings that is SCHEDULED or IN_PROGRESS can be paused (else 409).',
    body: PauseJobRequest,
    responses: { 200: { description: 'The job', schema: Job } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    ...byId,
    operationId: 'resumeJobRollout',
    method: 'post',
    path: '/api/v1/jobs/{jobId}/resume',
    apiKeyScope: 'jobs:write',
    summary: "Resume a paused rollout, whether a person or the health gate paused it",
    description: 'The rate starts again from now: the pause is not made up by a burst. A health gate that still fails pauses it again at its next check.',
    responses: { 200: { description: 'The job', schema: Job } },
    errors: [400, 401, 403, 404, 409],
  },
];
