import type { ApiRoute } from './api-route.js';
import { AppPathParams, AppPolicy } from './app-api.schema.js';
import { Deployment } from './app-api-deployment.schema.js';
import { AppWebhook, DockerHubPushPayload, InstallAppRequest, WebhookDelivery, WebhookPathParams } from './app-api-delivery.schema.js';

/**
 * Installing from the marketplace (story 8) and continuous delivery (issue 7 points 5 and 6).
 * An installed app is a deployment of the installing workspace: it lists, stops and removes it
 * (DELETE /deployments/{id} uninstalls); the publisher's workspace never sees it.
 */
export const APP_DELIVERY_ROUTES: ApiRoute[] = [
  {
    tag: 'apps',
    access: 'user',
    workspaceScoped: true,
    params: AppPathParams,
    operationId: 'installApp',
    method: 'post',
    path: '/api/v1/marketplace/{appId}/install',
    summary: "Install a published app: a deployment of its listed version in the caller's workspace (developer role)",
    description:
      'The manifest gives the plain values; `env` gives every declared secret (and may override plain values). ' +
      '409 when the workspace has an app or a deployment of that name, which `/apps/{workspace}/{app}/` would name twice; ' +
      '404 for an app not in the marketplace; 503 when no container engine answers.',
    body: InstallAppRequest,
    responses: { 201: { description: 'The deployment', schema: Deployment } },
    errors: [400, 401, 403, 404, 409, 413, 503],
  },
  {
    tag: 'apps',
    access: 'user',
    workspaceScoped: true,
    params: AppPathParams,
    operationId: 'createAppWebhook',
    method: 'post',
    path: '/api/v1/apps/{appId}/webhook',
    summary: "Create the app's Docker Hub webhook, or replace it: the old URL stops working (developer role)",
    description: 'The URL holds a secret and is answered only now. Give it to Docker Hub (repository, Webhooks tab) as is.',
    responses: { 201: { description: 'The webhook', schema: AppWebhook } },
    errors: [400, 401, 403, 404],
  },
  {
    tag: 'apps',
    access: 'platform-admin',
    params: AppPathParams,
    operationId: 'setAppPolicy',
    method: 'put',
    path: '/api/v1/apps/{appId}/policy',
    summary: "Set how the app's webhook versions are reviewed (platform admin)",
    body: AppPolicy,
    responses: { 200: { description: 'The policy', schema: AppPolicy } },
    errors: [400, 401, 403, 404],
  },
  {
    tag: 'apps',
    access: 'public',
    params: WebhookPathParams,
    operationId: 'receiveAppWebhook',
    method: 'post',
    path: '/hooks/apps/{hookId}/{secret}',
    summary: 'A Docker Hub push: the tag becomes a new version of the app, and following deployments get it once approved',
    description:
      "The repository must be the app's image repository. The new version copies the newest one's manifest with the pushed tag. " +
      "It is approved at once if the app's policy says so, else it waits for review. 404 for an unknown hook or a wrong secret alike.",
    body: DockerHubPushPayload,
    responses: { 202: { description: 'What the push did', schema: WebhookDelivery } },
    errors: [400, 404, 409, 413],
  },
];
