import { Router } from 'express';
import { AppPathParams, AppPolicy, InstallAppRequest } from '@citus/contracts';
import { parse, requirePlatformAdmin, workspaceOf } from '@citus/kit';
import type { AppInstallService } from '../../app/app-install.service.js';
import type { AppReviewService } from '../../app/app-review.service.js';
import type { ContinuousDeliveryService } from '../../app/continuous-delivery.service.js';
import { actorOf } from './app.routes.js';

export interface DeliveryUseCases {
  installs: AppInstallService;
  delivery: ContinuousDeliveryService;
  reviews: AppReviewService;
}

/**
 * Installs from the marketplace, app webhooks and the review policy under `/api/v1` (issue 7
 * points 5 and 6); the caller is authenticated by the router that mounts this one.
 */
export function deliveryRoutes({ installs, delivery, reviews }: DeliveryUseCases): Router {
  const router = Router();

  router.post('/marketplace/:appId/install', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const { appId } = parse(AppPathParams, req.params);
    res.status(201).json(await installs.install(workspace, appId, actorOf(req), parse(InstallAppRequest, req.body ?? {})));
  });

  router.post('/apps/:appId/webhook', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const { appId } = parse(AppPathParams, req.params);
    res.status(201).setHeader('cache-control', 'no-store').json(await delivery.createWebhook(workspace.id, appId, actorOf(req)));
  });

  router.put('/apps/:appId/policy', requirePlatformAdmin, async (req, res) => {
    const { appId } = parse(AppPathParams, req.params);
    res.json(await reviews.setPolicy(appId, parse(AppPolicy, req.body)));
  });

  return router;
}
