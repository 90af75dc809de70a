import type { ApiRoute } from './api-route.js';
import { CancelJobRequest, CreateJobRequest, CreateJobResponse, Job, JobExecutionList, JobList, JobPathParams } from './jobs-api.schema.js';

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
      'Every target must be a thing of the workspace; the answer names those that are not. Connected targets are ' +
      'told at once on `$aws/things/{thingName}/jobs/notify` and `notify-next`.',
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
];
