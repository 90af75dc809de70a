import type { ApiRoute } from './api-route.js';
import { PutSecretRequest, Secret, SecretList, SecretPathParams } from './secret.schema.js';

/**
 * Workspace secrets (API keys of analysis vendors, webhook signing secrets): write-only, kept
 * encrypted, referred to by name from alert rules and analysers, never returned or logged.
 */
export const SECRET_ROUTES: ApiRoute[] = [
  {
    operationId: 'putSecret',
    method: 'put',
    path: '/api/v1/secrets/{name}',
    summary: 'Set or replace a workspace secret',
    description: 'The value is encrypted at rest (AES-256-GCM) and can never be read back: only its name and dates are listed.',
    tag: 'alerts',
    access: 'workspace-admin',
    workspaceScoped: true,
    params: SecretPathParams,
    body: PutSecretRequest,
    responses: { 200: { description: 'The secret, without its value', schema: Secret } },
    errors: [400, 401, 403, 404, 413],
  },
  {
    operationId: 'listSecrets',
    method: 'get',
    path: '/api/v1/secrets',
    summary: "List the workspace's secrets: names and dates only",
    tag: 'alerts',
    access: 'workspace-admin',
    workspaceScoped: true,
    responses: { 200: { description: 'The secrets, without values', schema: SecretList } },
    errors: [401, 403, 404],
  },
  {
    operationId: 'deleteSecret',
    method: 'delete',
    path: '/api/v1/secrets/{name}',
    summary: 'Delete a workspace secret; rules and analysers naming it fail until it is set again',
    tag: 'alerts',
    access: 'workspace-admin',
    workspaceScoped: true,
    params: SecretPathParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404],
  },
];
