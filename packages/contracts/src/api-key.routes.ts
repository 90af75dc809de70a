import type { ApiRoute } from './api-route.js';
import { ApiKeyList, ApiKeyPathParams, CreateApiKeyRequest, CreatedApiKey } from './api-key.schema.js';

/** API keys for scripts and apps, each acting in one workspace as a `user`, plus the changes its scopes grant. */
export const API_KEY_ROUTES: ApiRoute[] = [
  {
    operationId: 'createApiKey',
    method: 'post',
    path: '/api/v1/api-keys',
    summary: 'Create an API key for the workspace',
    description:
      'The answer holds the key itself, shown this once: only its hash is kept. Send it in the `X-Api-Key` header; a key in ' +
      "the URL is refused with 400. It acts in this workspace only, as a `user` plus the changes its scopes grant (`shadows:write`, `jobs:write`), on the routes its scopes allow.",
    tag: 'identity',
    access: 'workspace-admin',
    workspaceScoped: true,
    body: CreateApiKeyRequest,
    responses: { 201: { description: 'The new key, with its secret', schema: CreatedApiKey } },
    errors: [400, 401, 403, 404, 413],
  },
  {
    operationId: 'listApiKeys',
    method: 'get',
    path: '/api/v1/api-keys',
    summary: "List the workspace's API keys, revoked ones included, without their secrets",
    tag: 'identity',
    access: 'workspace-admin',
    workspaceScoped: true,
    responses: { 200: { description: 'The keys', schema: ApiKeyList } },
    errors: [401, 403, 404],
  },
  {
    operationId: 'revokeApiKey',
    method: 'delete',
    path: '/api/v1/api-keys/{id}',
    summary: 'Revoke an API key: it is refused from the next request on',
    tag: 'identity',
    access: 'workspace-admin',
    workspaceScoped: true,
    params: ApiKeyPathParams,
    responses: { 204: { description: 'Revoked (revoking a revoked key again changes nothing)' } },
    errors: [400, 401, 403, 404],
  },
];
