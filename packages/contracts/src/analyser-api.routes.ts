import type { ApiRoute } from './api-route.js';
import { Analyser, AnalyserList, AnalyserPathParams, AnalyserRequest } from './analyser.schema.js';

const WRITE_ERRORS: ApiRoute['errors'] = [400, 401, 403, 404, 409, 413];

/**
 * Third-party image analysers (issue 8 point 7): telemetry carrying an image URL goes to a vendor
 * (plate recognition, face detection) with the API key from a workspace secret; the answer is
 * stored as telemetry. Members read them; only admins change them, because an analyser sends the API
 * key of the secret it names to its endpoint.
 */
export const ANALYSER_ROUTES: ApiRoute[] = [
  {
    operationId: 'createAnalyser',
    method: 'post',
    path: '/api/v1/analysers',
    summary: 'Configure a third-party analyser (admin role)',
    description:
      'When stored telemetry that `match`es has a URL in `imageField`, the vendor is called with it (at most ' +
      '`timeoutMs`); its answer is stored as telemetry on `telemetry/{thingName}/analysis-{name}`. A failure or ' +
      'time-out is recorded in `lastRun` and not retried. Names are unique in the workspace (409).',
    tag: 'alerts',
    access: 'user',
    workspaceScoped: true,
    body: AnalyserRequest,
    responses: { 201: { description: 'The analyser', schema: Analyser } },
    errors: WRITE_ERRORS,
  },
  {
    operationId: 'listAnalysers',
    method: 'get',
    path: '/api/v1/analysers',
    summary: "List the workspace's analysers, each with its latest run",
    tag: 'alerts',
    access: 'user',
    workspaceScoped: true,
    responses: { 200: { description: 'The analysers', schema: AnalyserList } },
    errors: [401, 404],
  },
  {
    operationId: 'getAnalyser',
    method: 'get',
    path: '/api/v1/analysers/{analyserId}',
    summary: 'An analyser and its latest run (status, duration, error)',
    tag: 'alerts',
    access: 'user',
    workspaceScoped: true,
    params: AnalyserPathParams,
    responses: { 200: { description: 'The analyser', schema: Analyser } },
    errors: [400, 401, 404],
  },
  {
    operationId: 'replaceAnalyser',
    method: 'put',
    path: '/api/v1/analysers/{analyserId}',
    summary: 'Replace an analyser (admin role)',
    tag: 'alerts',
    access: 'user',
    workspaceScoped: true,
    params: AnalyserPathParams,
    body: AnalyserRequest,
    responses: { 200: { description: 'The analyser', schema: Analyser } },
    errors: WRITE_ERRORS,
  },
  {
    operationId: 'deleteAnalyser',
    method: 'delete',
    path: '/api/v1/analysers/{analyserId}',
    summary: 'Delete an analyser (admin role)',
    tag: 'alerts',
    access: 'user',
    workspaceScoped: true,
    params: AnalyserPathParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404],
  },
];
