import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { AccessGrant, ErrorEnvelope, INTERNAL_API_PREFIX, IssuedAppKey, SERVICE_TOKEN_HEADER, type AccessRequest } from '@citus/contracts';
import { authenticate, type AccessContext, type ApiKeyResolver, type AppKeyIssuer, type BearerResolver } from './auth.js';
import { AppError } from './errors.js';

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
const DEFAULT_TIMEOUT_MS = 5_000;

/** Codes the portal answers about the caller's credential, passed on as the public API would answer them. */
const CALLER_CODES = new Set(['bad_request', 'unauthorized', 'not_found']);

/**
 * The portal over its internal API (`/internal/v1`): people's tokens and API keys are resolved by
 * the portal, as in one process, so a revoked key, a removed member or a changed role counts
 * everywhere within `cacheSeconds`. What the caller got wrong answers as it would in one process;
 * a portal that cannot be reached, or that refuses this process's service token, is a 503 naming
 * it (and never the caller's fault).
 */
export function remotePortal(options: RemotePortalOptions): RemotePortal {
  const base = new URL(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cache = new Map<string, { access: AccessContext; until: number }>();

  async function call<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S | undefined): Promise<z.infer<S> | undefined> {
    let response: Response;
    try {
      response = await fetch(new URL(`${INTERNAL_API_PREFIX}${path}`, base), {
        method,
        headers: { [SERVICE_TOKEN_HEADER]: options.serviceToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new AppError('unavailable', `the portal cannot be reached at ${base.origin} (${cause})`);
    }
    const text = await response.text();
    const json = text ? safeJson(text) : undefined;
    if (!response.ok) throw portalError(response.status, json, base.origin);
    if (!schema) return undefined;
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new AppError('unavailable', `the portal at ${base.origin} answered ${method} ${path} with something unexpected`);
    return parsed.data;
  }

  async function resolve(request: AccessRequest): Promise<AccessContext> {
    const key = createHash('sha256').update(JSON.stringify(request)).digest('base64url');
    const now = Date.now();
    const cached = cache.get(key);
    if (cached && cached.until > now) return cached.access;
    cache.delete(key);
    const access = (await call('POST', '/access', request, AccessGrant)) as AccessContext;
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
      issueAppKey: async (request) => (await call('POST', '/app-keys', { ...request, scopes: [...request.scopes] }, IssuedAppKey)) as IssuedAppKey,
      revokeAppKey: async (keyId) => void (await call('DELETE', `/app-keys/${encodeURIComponent(keyId)}`, undefined, undefined)),
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function portalError(status: number, json: unknown, origin: string): AppError {
  const envelope = ErrorEnvelope.safeParse(json);
  const error = envelope.success ? envelope.data.error : undefined;
  if (error && CALLER_CODES.has(error.code)) return new AppError(error.code, error.message);
  if (status === 403) return new AppError('unavailable', `the portal at ${origin} refused this process's service token: CITUS_SERVICE_TOKEN must be the same in every process`);
  return new AppError('unavailable', `the portal at ${origin} answered ${status}${error ? `: ${error.message}` : ''}`);
}
