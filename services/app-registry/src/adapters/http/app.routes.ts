import { Router, type Request } from 'express';
import { AppManifest, AppPathParams, AppVersionPathParams, MarketplaceQuery, RejectAppVersionRequest } from '@citus/contracts';
import { accessOf, parse, requirePlatformAdmin, workspaceOf } from '@citus/kit';
import type { AppCatalogService } from '../../app/app-catalog.service.js';
import type { AppReviewService } from '../../app/app-review.service.js';
import type { MarketplaceService } from '../../app/marketplace.service.js';
import type { Actor } from '../../domain/app.model.js';

export interface AppUseCases {
  catalog: AppCatalogService;
  reviews: AppReviewService;
  marketplace: MarketplaceService;
}

export const actorOf = (req: Request): Actor => {
  const access = accessOf(req);
  return { userId: access.userId, username: access.username };
};

/**
 * Apps under `/api/v1` (stories 4, 5 and 8). Members read their workspace's apps; developers (and
 * admins) of it change them; platform admins review versions of every workspace; every signed-in
 * user browses the marketplace. Roles are checked before bodies, so a refused caller learns nothing
 * from validation. The caller is authenticated by the router that mounts this one.
 */
export function appRoutes({ catalog, reviews, marketplace }: AppUseCases): Router {
  const router = Router();

  router.post('/apps', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    res.status(201).json(await catalog.create(workspace, actorOf(req), parse(AppManifest, req.body)));
  });

  router.get('/apps', async (req, res) => {
    res.json(await catalog.list(workspaceOf(req, 'user').id));
  });

  router.get('/apps/:appId', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(await catalog.get(workspace.id, parse(AppPathParams, req.params).appId));
  });

  router.post('/apps/:appId/versions', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const { appId } = parse(AppPathParams, req.params);
    res.status(201).json(await catalog.addVersion(workspace.id, appId, actorOf(req), parse(AppManifest, req.body)));
  });

  router.post('/apps/:appId/versions/:version/submit', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const { appId, version } = parse(AppVersionPathParams, req.params);
    res.json(await catalog.submit(workspace.id, appId, version, actorOf(req)));
  });

  router.post('/apps/:appId/versions/:version/publish', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const { appId, version } = parse(AppVersionPathParams, req.params);
    res.json(await catalog.publish(workspace.id, appId, version, actorOf(req)));
  });

  router.get('/apps/:appId/audit', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(await catalog.audit(workspace.id, parse(AppPathParams, req.params).appId));
  });

  router.get('/reviews', requirePlatformAdmin, async (_req, res) => {
    res.json(await reviews.queue());
  });

  router.post('/apps/:appId/versions/:version/approve', requirePlatformAdmin, async (req, res) => {
    const { appId, version } = parse(AppVersionPathParams, req.params);
    res.json(await reviews.approve(appId, version, actorOf(req)));
  });

  router.post('/apps/:appId/versions/:version/reject', requirePlatformAdmin, async (req, res) => {
    const { appId, version } = parse(AppVersionPathParams, req.params);
    const { reason } = parse(RejectAppVersionRequest, req.body);
    res.json(await reviews.reject(appId, version, actorOf(req), reason));
  });

  router.get('/marketplace', async (req, res) => {
    res.json(await marketplace.search(parse(MarketplaceQuery, req.query)));
  });

  return router;
}
