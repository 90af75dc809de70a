import type { Request, RequestHandler } from 'express';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { API_KEY_HEADER, ROLE_RANK, WorkspaceSlug, type ApiKeyScope, type Role } from '@citus/contracts';
import { AppError, badRequest, forbidden, notFound } from './errors.js';

/** Who a verified token speaks for. */
export interface Principal {
  subject: string;
  /** When the token stops being valid (epoch ms), if it says. */
  expiresAt?: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export interface JwtVerifierOptions {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
}

/**
 * The one verification path for people's tokens, whoever issued them (the embedded identity
 * provider or Auth0): signature against a JWKS, issuer, audience, expiry.
 */
export function createJwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, options.keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['ES256', 'RS256'],
        });
        if (!payload.sub) throw new AppError('unauthorized', 'token has no subject');
        return payload.exp === undefined ? { subject: payload.sub } : { subject: payload.sub, expiresAt: payload.exp * 1000 };
      } catch (error) {
        if (error instanceof AppError) throw error;
        // The key set could not be had: not the caller's fault, and worth retrying.
        if (error instanceof errors.JWKSTimeout || (error instanceof TypeError && /fetch/i.test(error.message))) {
          throw new AppError('unavailable', 'the identity provider cannot be reached');
        }
        if (error instanceof errors.JOSEError) throw new AppError('unauthorized', 'invalid or expired token');
        throw error;
      }
    },
  };
}

export const localKeys = (jwks: JSONWebKeySet): JWTVerifyGetKey => createLocalJWKSet(jwks);
export const remoteKeys = (url: URL): JWTVerifyGetKey => createRemoteJWKSet(url);

/** Auth0 publishes its keys at a fixed place and names itself `https://{domain}/`. */
export function auth0Verifier(domain: string, audience: string): TokenVerifier {
  return createJwtVerifier({
    keys: remoteKeys(new URL(`https://${domain}/.well-known/jwks.json`)),
    issuer: `https://${domain}/`,
    audience,
  });
}

export interface WorkspaceAccess {
  id: string;
  slug: string;
  role: Role;
}

/** What a request may do: the caller, and the workspace it acts in (named or its default). */
export interface AccessContext {
  userId: string;
  username: string;
  platformAdmin: boolean;
  workspace: WorkspaceAccess | null;
  /** When the token this access rests on expires (epoch ms): long-lived sessions end then. */
  expiresAt?: number;
  /** Set when the caller is an API key rather than a person: what its scopes allow. */
  apiKey?: { id: string; scopes: readonly ApiKeyScope[] };
}

/** Port: turns a verified subject into an access context. Owned here, implemented by the portal. */
export interface AccessResolver {
  /** `null` when the subject is no known user; throws not_found when the named workspace is not the caller's. */
  resolve(subject: string, workspaceSlug: string | undefined): Promise<AccessContext | null>;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- express's own way to extend its Request
  namespace Express {
    interface Request {
      access?: AccessContext;
    }
  }
}

export const WORKSPACE_HEADER = 'x-citus-workspace';

/**
 * Verifies a person's access token and resolves what they may do in the named workspace (or their
 * default one). Throws `unauthorized` for a bad token or an unknown user, `bad_request` for an
 * invalid workspace slug. Used by the HTTP middleware and by the hub for MQTT over WebSocket.
 */
export type BearerResolver = (token: string, workspaceSlug?: string) => Promise<AccessContext>;

export function bearerResolver(verifier: TokenVerifier, resolver: AccessResolver): BearerResolver {
  return async (token, workspaceSlug) => {
    const principal = await verifier.verify(token);
    const slug = workspaceSlug === undefined ? undefined : WorkspaceSlug.safeParse(workspaceSlug);
    if (slug && !slug.success) throw badRequest('invalid workspace slug');
    const access = await resolver.resolve(principal.subject, slug?.data);
    if (!access) throw new AppError('unauthorized', 'unknown user');
    return principal.expiresAt === undefined ? access : { ...access, expiresAt: principal.expiresAt };
  };
}

/**
 * Checks an API key (`X-Api-Key`) and resolves the access it grants in its own workspace (the
 * named one must be it). Throws `unauthorized` for an unknown, revoked or expired key.
 */
export type ApiKeyResolver = (key: string, workspaceSlug?: string) => Promise<AccessContext>;

/** Query parameters that clients put keys in; refused by name, whatever their value. */
const KEY_PARAMETERS = new Set(['api_key', 'apikey', 'api-key', 'x-api-key']);

/**
 * A key in the URL is refused (DESIGN: "sent in a header, never the query string"): URLs end up
 * in proxies' logs and browser history. The answer does not echo it, and the request logger drops
 * query strings, so it is not logged either.
 */
function refuseKeyInUrl(url: string): void {
  const query = url.split('?', 2)[1];
  if (query === undefined) return;
  for (const [name, value] of new URLSearchParams(query)) {
    if (KEY_PARAMETERS.has(name.toLowerCase()) || value.includes('citus_apk_')) {
      throw badRequest(`an API key goes in the ${API_KEY_HEADER} header, never in the URL`);
    }
  }
}

/**
 * Requires a valid bearer token from a known user, or (when `resolveKey` is given) an API key in
 * the `X-Api-Key` header; sets `req.access`. A key may then call only routes that say so with
 * `requireScope` (or `acceptAnyApiKey`): `accessOf` refuses it everywhere else.
 */
export function authenticate(resolve: BearerResolver, resolveKey?: ApiKeyResolver): RequestHandler {
  return async (req, _res, next) => {
    refuseKeyInUrl(req.originalUrl);
    const named = req.headers[WORKSPACE_HEADER];
    if (Array.isArray(named)) throw badRequest(`invalid ${WORKSPACE_HEADER} header`);
    const key = req.headers[API_KEY_HEADER];
    if (key !== undefined && req.headers.authorization !== undefined) {
      throw badRequest(`send a bearer token or an ${API_KEY_HEADER} header, not both`);
    }
    try {
      req.access = key === undefined ? await resolve(bearerOf(req), named) : await resolveKeyHeader(key, resolveKey, named);
    } catch (error) {
      if (error instanceof AppError && error.code === 'bad_request') throw badRequest(`invalid ${WORKSPACE_HEADER} header`);
      throw error;
    }
    next();
  };
}

function bearerOf(req: Request): string {
  const match = req.headers.authorization?.match(/^Bearer ([A-Za-z0-9._~+/=-]+)$/i); // RFC 7235: the scheme is case-insensitive
  if (!match?.[1]) throw new AppError('unauthorized', 'a bearer token is required');
  return match[1];
}

function resolveKeyHeader(key: string | string[], resolveKey: ApiKeyResolver | undefined, named: string | undefined): Promise<AccessContext> {
  if (!resolveKey) throw new AppError('unauthorized', 'API keys are not accepted here');
  if (typeof key !== 'string') throw new AppError('unauthorized', `one ${API_KEY_HEADER} header at most`);
  return resolveKey(key, named);
}

/**
 * Port: API keys for app deployments, issued when one starts and revoked when it goes. Owned
 * here, implemented by the portal; the key acts like any other of its workspace.
 */
export interface AppKeyIssuer {
  issueAppKey(request: { workspaceId: string; scopes: readonly ApiKeyScope[]; label: string }): Promise<{ keyId: string; key: string }>;
  revokeAppKey(keyId: string): Promise<void>;
}

/** Requests whose route lets API keys in: set by `requireScope` and `acceptAnyApiKey`. */
const keyAdmitted = new WeakSet<Request>();

/**
 * API keys must hold `scope` to pass; people pass unchanged (their role decides). Put it on the
 * route itself, never in a `router.use` prefix: a prefix also matches routes that need another scope.
 */
export const requireScope =
  (scope: ApiKeyScope): RequestHandler =>
  (req, _res, next) => {
    const key = req.access?.apiKey;
    if (key) {
      if (!key.scopes.includes(scope)) throw forbidden(`the API key lacks the ${scope} scope`);
      keyAdmitted.add(req);
    }
    next();
  };

/** Lets any API key of the workspace in, whatever its scopes (the app proxy: the app decides). */
export const acceptAnyApiKey: RequestHandler = (req, _res, next) => {
  if (req.access?.apiKey) keyAdmitted.add(req);
  next();
};

/** The caller's access; an API key on a route that did not let keys in is refused here. */
export function accessOf(req: Request): AccessContext {
  if (!req.access) throw new AppError('unauthorized', 'not authenticated');
  if (req.access.apiKey && !keyAdmitted.has(req)) throw forbidden('API keys may not call this route');
  return req.access;
}

/** The workspace a request acts in, with at least `role` there. */
export function workspaceOf(req: Request, role: Role = 'user'): WorkspaceAccess {
  const { workspace } = accessOf(req);
  if (!workspace) throw notFound('workspace');
  if (ROLE_RANK[workspace.role] < ROLE_RANK[role]) throw forbidden(`requires the ${role} role`);
  return workspace;
}

/**
 * The workspace a request acts in, on a route where a scope grants a change: a person needs
 * `role`; an API key needs only the scope the route's `requireScope` checked (a key's own role,
 * `user`, would refuse every change). A key on a route without `requireScope` is still refused.
 */
export function workspaceOfGranted(req: Request, role: Role): WorkspaceAccess {
  return workspaceOf(req, accessOf(req).apiKey ? 'user' : role);
}

export const requireRole =
  (role: Role): RequestHandler =>
  (req, _res, next) => {
    workspaceOf(req, role);
    next();
  };

export const requirePlatformAdmin: RequestHandler = (req, _res, next) => {
  if (!accessOf(req).platformAdmin) throw forbidden('requires the platform admin role');
  next();
};
