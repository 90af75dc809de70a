import type { Service, ServiceContext } from '@citus/kit';
import { Router } from 'express';
import type { AppRegistryConfig } from './config.js';

export interface AppRegistryContext extends ServiceContext {
  config: AppRegistryConfig;
}

/** Container apps (stories 4, 5, 6 and 8): submit, review, deploy, publish, install. */
export function createService(ctx: AppRegistryContext): Service {
  const logger = ctx.logger.child({ module: 'app-registry' });
  logger.debug({ runtime: ctx.config.CITUS_APP_RUNTIME }, 'app registry configured');
  return {
    name: 'app-registry',
    apiRoutes: Router(),
  };
}
