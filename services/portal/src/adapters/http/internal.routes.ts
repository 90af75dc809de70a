import { Router } from 'express';
import { AccessRequest, AppKeyPathParams, IssueAppKeyRequest, type AccessGrant, type IssuedAppKey } from '@citus/contracts';
import { parse, type ApiKeyResolver, type AppKeyIssuer, type BearerResolver } from '@citus/kit';

export interface InternalPortal {
  resolveBearer: BearerResolver;
  resolveKey: ApiKeyResolver;
  appKeys: AppKeyIssuer;
}

/**
 * What other service processes ask of the portal when they run apart from it (mounted at
 * `/internal/v1`, behind the service token): turn a caller's bearer token or API key into its
 * access, and issue or revoke an app deployment's key. A bad credential answers as the public API
 * would (401, 404 for a workspace that is not the caller's), so the asking service can pass the
 * answer on unchanged.
 */
export function internalRoutes(portal: InternalPortal): Router {
  const router = Router();

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
