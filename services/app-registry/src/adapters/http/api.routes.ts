import { Router, type RequestHandler } from 'express';
import type { EventBus, Logger } from '@citus/kit';
import type { DeploymentService } from '../../app/deployment.service.js';
import { appRoutes, type AppUseCases } from './app.routes.js';
import { deliveryRoutes, type DeliveryUseCases } from './delivery.routes.js';
import { deploymentRoutes } from './deployment.routes.js';

/** The app registry's routes under `/api/v1`, every one for signed-in callers only (authenticated once here). */
export function apiRoutes(useCases: AppUseCases & DeliveryUseCases & { deployments: DeploymentService }, authenticate: RequestHandler, events: EventBus, logger: Logger): Router {
  const router = Router();
  router.use(['/apps', '/reviews', '/marketplace', '/deployments'], authenticate);
  router.use(appRoutes(useCases));
  router.use(deploymentRoutes(useCases.deployments, events, logger));
  router.use(deliveryRoutes(useCases));
  return router;
}
