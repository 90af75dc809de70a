import { z } from 'zod';
import { AppScope } from './app.schema.js';

/**
 * What an API key may do in its workspace. The same closed set as an app manifest's scopes, so a
 * key issued to a deployed app and one made by a person for a script mean the same thing. Routes
 * declare the scope they need; a route that declares none refuses every API key.
 */
export const ApiKeyScope = AppScope;
export type ApiKeyScope = AppScope;

export const ApiKeyId = z.string().regex(/^apk_[0-9a-f]{24}$/, 'an API key id (apk_ and 24 hex digits)');
export type ApiKeyId = z.infer<typeof ApiKeyId>;

/** The header an API key travels in; never the URL, where proxies and browsers keep it. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * `citus_{id}_{secret}`: the id finds the stored hash, the secret is 32 random bytes in base64url
 * (43 characters). The `citus_` prefix lets secret scanners recognise a leaked key.
 */
export const API_KEY_PATTERN = /^citus_(apk_[0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

export const CreateApiKeyRequest = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(ApiKeyScope)
    .min(1, 'at least one scope')
    .refine((scopes) => new Set(scopes).size === scopes.length, 'each scope once'),
  /** When the key stops working; never, if absent. Must be in the future. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

/** A key as listed: never its secret, which only the answer to its creation holds. */
export const ApiKey = z.object({
  id: ApiKeyId,
  name: z.string(),
  scopes: z.array(ApiKeyScope),
  /** `user:{userId}` for a key a person made, `app:{label}` for one issued to an app deployment. */
  createdBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;

/** The answer to `POST /api/v1/api-keys`: the only time the key itself is shown. */
export const CreatedApiKey = ApiKey.extend({ key: z.string().regex(API_KEY_PATTERN) });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const ApiKeyList = z.object({ items: z.array(ApiKey) });
export type ApiKeyList = z.infer<typeof ApiKeyList>;

export const ApiKeyPathParams = z.object({ id: ApiKeyId });
export type ApiKeyPathParams = z.infer<typeof ApiKeyPathParams>;
