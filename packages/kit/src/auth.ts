import type { Request, RequestHandler } from 'express';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { ROLE_RANK, WorkspaceSlug, type Role } from '@citus/contracts';
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

/** Requires a valid bearer token from a known user; sets `req.access`. */
export function authenticate(resolve: BearerResolver): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization;
    const match = header?.match(/^Bearer ([A-Za-z0-9._~+/=-]+)$/i); // RFC 7235: the scheme is case-insensitive
    if (!match?.[1]) throw new AppError('unauthorized', 'a bearer token is required');
    const named = req.headers[WORKSPACE_HEADER];
    if (Array.isArray(named)) throw badRequest(`invalid ${WORKSPACE_HEADER} header`);
    try {
      req.access = await resolve(match[1], named);
    } catch (error) {
      if (error instanceof AppError && error.code === 'bad_request') throw badRequest(`invalid ${WORKSPACE_HEADER} header`);
      throw error;
    }
    next();
  };
}

export function accessOf(req: Request): AccessContext {
  if (!req.access) throw new AppError('unauthorized', 'not authenticated');
  return req.access;
}

/** The workspace a request acts in, with at least `role` there. */
export function workspaceOf(req: Request, role: Role = 'user'): WorkspaceAccess {
  const { workspace } = accessOf(req);
  if (!workspace) throw notFound('workspace');
  if (ROLE_RANK[workspace.role] < ROLE_RANK[role]) throw forbidden(`requires the ${role} role`);
  return workspace;
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
