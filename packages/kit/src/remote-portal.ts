import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AccessGrant, IssuedAppKey, MAX_API_KEY_LENGTH, MAX_BEARER_LENGTH, type AccessRequest, type ErrorCode } from '@citus/contracts';
import { authenticate, type AccessContext, type ApiKeyResolver, type AppKeyIssuer, type BearerResolver } from './auth.js';
import { AppError } from './errors.js';
import { InternalApiClient } from './internal-api.client.js';

export interface RemotePortalOptions {
  /** Where the portal process answers, e.g. `http://portal:8080`. */
  url: string;
  /** The platform's service token, the same in every process. */
  serviceToken: string;
  /** How long a resolved access is reused (never past its token's expiry); 0 asks every time. */
  cacheSeconds: number;
  timeoutMs?: number;
}

/** The portal's part, for a service process that runs apart from it. */
export interface RemotePortal {
  authenticate: RequestHandler;
  resolveBearer: BearerResolver;
  appKeys: AppKeyIssuer;
}

/** Enough for every live caller of a busy service; past it the oldest entries go first. */
const CACHE_ENTRIES = 10_000;

/** Codes the portal answers about the caller's credential, passed on as the public API would answer them. */
const CALLER_CODES: readonly ErrorCode[] = ['bad_request', 'unauthorized', 'not_found'];

/**
 * The portal over its internal API (`/internal/v1`): people's tokens and API keys are resolved by
 * the portal, as in one process, so a revoked key, a removed member or a changed role counts
 * everywhere within `cacheSeconds`. What the caller got wrong answers as it would in one process;
 * a portal that cannot be reached, or that refuses this process's service token, is a 503 naming
 * it (and never the caller's fault).
 */
export function remotePortal(options: RemotePortalOptions): RemotePortal {
  const client = new InternalApiClient(options, 'the portal');
  const cache = new Map<string, { access: AccessContext; until: number }>();

  async function resolve(request: AccessRequest): Promise<AccessContext> {
    refuseOverlong(request);
    const key = createHash('sha256').update(JSON.stringify(request)).digest('base64url');
    const now = Date.now();
    const cached = cache.get(key);
    if (cached && cached.until > now) return cached.access;
    cache.delete(key);
    const access = (await client.call('POST', '/access', request, AccessGrant, CALLER_CODES)) as AccessContext;
    if (options.cacheSeconds > 0) {
      if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      cache.set(key, { access, until: Math.min(now + options.cacheSeconds * 1000, access.expiresAt ?? Number.POSITIVE_INFINITY) });
    }
    return access;
  }

  const resolveBearer: BearerResolver = (token, workspace) => resolve({ bearer: token, ...(workspace === undefined ? {} : { workspace }) });
  const resolveKey: ApiKeyResolver = (apiKey, workspace) => resolve({ apiKey, ...(workspace === undefined ? {} : { workspace }) });
  return {
    authenticate: authenticate(resolveBearer, resolveKey),
    resolveBearer,
    appKeys: {
      issueAppKey: async (request) => client.call('POST', '/app-keys', { ...request, scopes: [...request.scopes] }, IssuedAppKey, ['bad_request', 'not_found']),
      revokeAppKey: (keyId) => client.send('DELETE', `/app-keys/${encodeURIComponent(keyId)}`, undefined),
    },
  };
}

/**
 * A credential longer than the internal request allows is no valid one: refused here as one
 * process would refuse it (401), not sent to the portal to come back as a malformed request (400).
 */
function refuseOverlong(request: AccessRequest): void {
  if (request.bearer !== undefined && request.bearer.length > MAX_BEARER_LENGTH) {
    throw new AppError('unauthorized', 'invalid or expired token');
  }
  if (request.apiKey !== undefined && request.apiKey.length > MAX_API_KEY_LENGTH) {
    throw new AppError('unauthorized', 'invalid, revoked or expired API key');
  }
}
