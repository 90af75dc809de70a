import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { AccessRequest, AppKeyPathParams, IssueAppKeyRequest, SERVICE_TOKEN_HEADER, type AccessGrant, type IssuedAppKey } from '@citus/contracts';
import { forbidden, parse, type ApiKeyResolver, type AppKeyIssuer, type BearerResolver } from '@citus/kit';

export interface InternalPortal {
  resolveBearer: BearerResolver;
  resolveKey: ApiKeyResolver;
  appKeys: AppKeyIssuer;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Only callers holding the platform's service token pass. Both sides are hashed first, so the
 * comparison takes the same time whatever the length of what was sent.
 */
function requireServiceToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const sent = req.headers[SERVICE_TOKEN_HEADER];
    if (typeof sent !== 'string' || !timingSafeEqual(digest(sent), expected)) {
      throw forbidden(`the internal API needs the platform's service token in ${SERVICE_TOKEN_HEADER}`);
    }
    next();
  };
}

/**
 * What other service processes ask of the portal when they run apart from it (mounted at
 * `/internal/v1`): turn a caller's bearer token or API key into its access, and issue or revoke an
 * app deployment's key. A bad credential answers as the public API would (401, 404 for a workspace
 * that is not the caller's), so the asking service can pass the answer on unchanged.
 */
export function internalRoutes(portal: InternalPortal, serviceToken: string): Router {
  const router = Router();
  router.use(requireServiceToken(serviceToken));

  router.post('/access', async (req, res) => {
    const request = parse(AccessRequest, req.body);
    const access =
      request.bearer !== undefined
        ? await portal.resolveBearer(request.bearer, request.workspace)
        : await portal.resolveKey(request.apiKey as string, request.workspace);
    const grant: AccessGrant = {
      userId: access.userId,
      username: access.username,
      platformAdmin: access.platformAdmin,
      workspace: access.workspace,
      ...(access.expiresAt === undefined ? {} : { expiresAt: access.expiresAt }),
      ...(access.apiKey === undefined ? {} : { apiKey: { id: access.apiKey.id, scopes: [...access.apiKey.scopes] } }),
    };
    res.set('cache-control', 'no-store').json(grant);
  });

  router.post('/app-keys', async (req, res) => {
    const issued: IssuedAppKey = await portal.appKeys.issueAppKey(parse(IssueAppKeyRequest, req.body));
    res.status(201).set('cache-control', 'no-store').json(issued);
  });

  router.delete('/app-keys/:keyId', async (req, res) => {
    await portal.appKeys.revokeAppKey(parse(AppKeyPathParams, req.params).keyId);
    res.status(204).end();
  });

  return router;
}
