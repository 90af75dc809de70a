import { join } from 'node:path';
import type { Service, ServiceContext } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { appRoutes } from './adapters/http/app.routes.js';
import { APP_MIGRATIONS } from './adapters/sqlite/app.migrations.js';
import { SqliteAppRepository } from './adapters/sqlite/app.repository.js';
import { AppCatalogService } from './app/app-catalog.service.js';
import { AppReviewService } from './app/app-review.service.js';
import { MarketplaceService } from './app/marketplace.service.js';
import type { AppRegistryConfig } from './config.js';
import type { ContainerRuntime } from './domain/container-runtime.port.js';

export interface AppRegistryContext extends ServiceContext {
  config: AppRegistryConfig;
  /** Where deployments run; not used yet by the catalog and review (deployments come with it). */
  runtime?: ContainerRuntime;
}

export interface AppRegistryService extends Service {
  /** Apps and their versions; `deployableVersion` tells deployments which versions may run. */
  catalog: AppCatalogService;
}

/** Container apps (stories 4, 5, 6 and 8): submit, review, deploy, publish, install. */
export function createService(ctx: AppRegistryContext): AppRegistryService {
  const logger = ctx.logger.child({ module: 'app-registry' });
  logger.debug({ runtime: ctx.config.CITUS_APP_RUNTIME }, 'app registry configured');
  const db = openDatabase(join(ctx.dataDir, 'apps.db'), { module: 'app-registry', migrations: APP_MIGRATIONS });
  ctx.shutdown.add('app store', async () => void db.close());
  const repository = new SqliteAppRepository(db);
  const catalog = new AppCatalogService(repository);
  return {
    name: 'app-registry',
    catalog,
    apiRoutes: appRoutes({ catalog, reviews: new AppReviewService(repository), marketplace: new MarketplaceService(repository) }, ctx.authenticate),
  };
}
