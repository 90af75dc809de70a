import type { ApiRoute } from './api-route.js';
import { AppPathParams } from './app-api.schema.js';
import { APP_DELIVERY_ROUTES } from './app-api-delivery.routes.js';
import {
  CreateDeploymentRequest,
  Deployment,
  DeploymentList,
  DeploymentListQuery,
  DeploymentLogsQuery,
  DeploymentPathParams,
  ScaleDeploymentRequest,
  UpdateDeploymentRequest,
} from './app-api-deployment.schema.js';

const deployments = { tag: 'apps', access: 'user', workspaceScoped: true } as const;
const byDeployment = { ...deployments, params: DeploymentPathParams } as const;

/**
 * Deployments of approved app versions (issue 7 points 3 and 4): a developer of the workspace runs
 * one on the platform's container runtime; every member reaches it at `/apps/{workspace}/{app}/`
 * (not part of this API: the reverse proxy forwards whatever the app serves). A workspace runs at
 * most one deployment of an app, which that URL names. A deployment of another workspace answers 404.
 */
export const APP_DEPLOYMENT_ROUTES: ApiRoute[] = [
  {
    ...deployments,
    params: AppPathParams,
    operationId: 'createDeployment',
    method: 'post',
    path: '/api/v1/apps/{appId}/deployments',
    summary: 'Deploy an approved or published version of an app (developer role)',
    description:
      'The platform picks a free port on 127.0.0.1, which the app gets as `PORT`, and starts the image, which the engine must ' +
      'already have. 409 for a version not approved, an app the workspace already runs, or an image the engine lacks; ' +
      '503 when no container engine answers (the message names `DOCKER_HOST` and what went wrong).',
    body: CreateDeploymentRequest,
    responses: { 201: { description: 'The deployment', schema: Deployment } },
    errors: [400, 401, 403, 404, 409, 413, 503],
  },
  {
    ...deployments,
    operationId: 'listDeployments',
    method: 'get',
    path: '/api/v1/deployments',
    summary: "The workspace's deployments, of one app if `appId` is given, with their status from the engine",
    query: DeploymentListQuery,
    responses: { 200: { description: 'Deployments', schema: DeploymentList } },
    errors: [400, 401, 404],
  },
  {
    ...byDeployment,
    operationId: 'getDeployment',
    method: 'get',
    path: '/api/v1/deployments/{deploymentId}',
    summary: 'A deployment and its status from the engine',
    responses: { 200: { description: 'The deployment', schema: Deployment } },
    errors: [400, 401, 404],
  },
  {
    ...byDeployment,
    operationId: 'updateDeployment',
    method: 'patch',
    path: '/api/v1/deployments/{deploymentId}',
    summary: "Change its settings: whether it follows the app's new versions (developer role)",
    description:
      'The settings are replaced as a whole: `follow: tag` without `followTag` follows every newer version, whatever tag was followed before. An installed app is always pinned to what its publisher lists: `follow: tag` answers 409 for it.',
    body: UpdateDeploymentRequest,
    responses: { 200: { description: 'The deployment', schema: Deployment } },
    errors: [400, 401, 403, 404, 409, 413],
  },
  {
    ...byDeployment,
    query: DeploymentLogsQuery,
    operationId: 'getDeploymentLogs',
    method: 'get',
    path: '/api/v1/deployments/{deploymentId}/logs',
    summary: "The app's stdout and stderr as text lines; with follow=true, new lines as they come until the client goes",
    responses: { 200: { description: 'Log lines, one per line (chunked)', contentType: 'text/plain' } },
    errors: [400, 401, 404, 503],
  },
  {
    ...byDeployment,
    operationId: 'restartDeployment',
    method: 'post',
    path: '/api/v1/deployments/{deploymentId}/restart',
    summary: 'Restart it, or start it again after a stop (developer role)',
    responses: { 200: { description: 'The deployment', schema: Deployment } },
    errors: [400, 401, 403, 404, 409, 503],
  },
  {
    ...byDeployment,
    operationId: 'stopDeployment',
    method: 'post',
    path: '/api/v1/deployments/{deploymentId}/stop',
    summary: 'Stop it; it keeps its port and settings until removed (developer role)',
    responses: { 200: { description: 'The deployment', schema: Deployment } },
    errors: [400, 401, 403, 404, 409, 503],
  },
  {
    ...byDeployment,
    operationId: 'scaleDeployment',
    method: 'post',
    path: '/api/v1/deployments/{deploymentId}/scale',
    summary: 'Set the number of replicas (developer role; Swarm only: a single engine answers 409)',
    body: ScaleDeploymentRequest,
    responses: { 200: { description: 'The deployment', schema: Deployment } },
    errors: [400, 401, 403, 404, 409, 503],
  },
  {
    ...byDeployment,
    operationId: 'deleteDeployment',
    method: 'delete',
    path: '/api/v1/deployments/{deploymentId}',
    summary: 'Stop and remove it, with its stored settings and secrets (developer role)',
    responses: { 204: { description: 'Removed' } },
    errors: [400, 401, 403, 404, 503],
  },
  // Install and webhooks create deployments or redeploy them: listed with them.
  ...APP_DELIVERY_ROUTES,
];
