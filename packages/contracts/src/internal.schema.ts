import { z } from 'zod';
import { API_KEY_PATTERN, ApiKeyId, ApiKeyScope } from './api-key.schema.js';
import { Role, WorkspaceSlug } from './identity.schema.js';

/**
 * The internal API: what one service process asks of another when they run apart (compose,
 * Kubernetes). Never in the public route table, so never in the OpenAPI document or behind Kong;
 * served only where a service token is configured, and only to callers that send it.
 */
export const INTERNAL_API_PREFIX = '/internal/v1';

/** The header the service token travels in (never the URL). */
export const SERVICE_TOKEN_HEADER = 'x-citus-service-token';

/** Shared by the processes of one platform; long enough that guessing it is hopeless. */
export const ServiceToken = z.string().min(32, 'at least 32 characters').max(512).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/**
 * A caller's credential to turn into what it may do: a person's bearer token or an API key,
 * exactly one, and the workspace the request named (`X-Citus-Workspace`), if any.
 */
/** The longest credentials an access request carries: longer ones are no valid token or key. */
export const MAX_BEARER_LENGTH = 16_384;
export const MAX_API_KEY_LENGTH = 256;

export const AccessRequest = z
  .strictObject({
    bearer: z.string().min(1).max(MAX_BEARER_LENGTH).optional(),
    apiKey: z.string().min(1).max(MAX_API_KEY_LENGTH).optional(),
    workspace: z.string().max(64).optional(),
  })
  .refine((request) => (request.bearer === undefined) !== (request.apiKey === undefined), 'exactly one of bearer and apiKey');
export type AccessRequest = z.infer<typeof AccessRequest>;

/** What a request may do, as the portal resolves it (kit's `AccessContext`). */
export const AccessGrant = z.object({
  userId: z.string().min(1),
  username: z.string().min(1),
  platformAdmin: z.boolean(),
  workspace: z.object({ id: z.string().min(1), slug: WorkspaceSlug, role: Role }).nullable(),
  expiresAt: z.number().int().optional(),
  apiKey: z.object({ id: z.string().min(1), scopes: z.array(ApiKeyScope) }).optional(),
});
export type AccessGrant = z.infer<typeof AccessGrant>;

/** An app deployment's own key, asked for by the app registry when the deployment starts. */
export const IssueAppKeyRequest = z.strictObject({
  workspaceId: z.string().min(1).max(64),
  scopes: z.array(ApiKeyScope).max(ApiKeyScope.options.length),
  label: z.string().min(1).max(200),
});
export type IssueAppKeyRequest = z.infer<typeof IssueAppKeyRequest>;

export const IssuedAppKey = z.object({ keyId: ApiKeyId, key: z.string().regex(API_KEY_PATTERN) });
export type IssuedAppKey = z.infer<typeof IssuedAppKey>;

export const AppKeyPathParams = z.object({ keyId: ApiKeyId });
