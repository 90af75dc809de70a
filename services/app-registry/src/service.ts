import { join } from 'node:path';
import { Router } from 'express';
import { AesGcmSecretCipher, loadOrCreateSecretKey, type AppKeyIssuer, type Service, type ServiceContext } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { appProxyRoutes } from './adapters/http/app-proxy.routes.js';
import { apiRoutes } from './adapters/http/api.routes.js';
import { webhookRoutes } from './adapters/http/webhook.routes.js';
import { FetchAppHealthProbe } from './adapters/net/http-health.probe.js';
import { LoopbackPortAllocator } from './adapters/net/loopback-port.allocator.js';
import { APP_MIGRATIONS } from './adapters/sqlite/app.migrations.js';
import { SqliteAppRepository } from './adapters/sqlite/app.repository.js';
import { SqliteAppWebhookRepository } from './adapters/sqlite/app-webhook.repository.js';
import { SqliteDeploymentRepository } from './adapters/sqlite/deployment.repository.js';
import { AppCatalogService } from './app/app-catalog.service.js';
import { AppInstallService } from './app/app-install.service.js';
import { AppReviewService } from './app/app-review.service.js';
import { ContinuousDeliveryService } from './app/continuous-delivery.service.js';
import { DeploymentHealth } from './app/deployment-health.js';
import { DeploymentService } from './app/deployment.service.js';
import { MarketplaceService } from './app/marketplace.service.js';
import type { AppRegistryConfig } from './config.js';
import type { ContainerRuntime } from './domain/container-runtime.port.js';
import { createContainerRuntime } from './runtime.factory.js';

export interface AppRegistryContext extends ServiceContext {
  config: AppRegistryConfig;
  /** Where deployments run; by default the one CITUS_APP_RUNTIME names on DOCKER_HOST. */
  runtime?: ContainerRuntime;
  /** Issues and revokes the API keys deployments call the platform with; absent, deployments get none. */
  appKeys?: AppKeyIssuer;
}

export interface AppRegistryService extends Service {
  /** Apps and their versions; `deployableVersion` tells deployments which versions may run. */
  catalog: AppCatalogService;
  deployments: DeploymentService;
}

/** Container apps (stories 4, 5, 6 and 8): submit, review, deploy, publish, install. */
export function createService(ctx: AppRegistryContext): AppRegistryService {
  const logger = ctx.logger.child({ module: 'app-registry' });
  const db = openDatabase(join(ctx.dataDir, 'apps.db'), { module: 'app-registry', migrations: APP_MIGRATIONS });
  ctx.shutdown.add('app store', async () => void db.close());
  const runtime = ctx.runtime ?? createContainerRuntime(ctx.config);
  const repository = new SqliteAppRepository(db);
  const catalog = new AppCatalogService(repository);
  // The data dir's one key, which analytics seals workspace secrets with too (made by whichever starts first).
  const cipher = new AesGcmSecretCipher(loadOrCreateSecretKey(join(ctx.dataDir, 'secrets.key')));
  const deploymentRecords = new SqliteDeploymentRepository(db, cipher);
  const health = new DeploymentHealth(new FetchAppHealthProbe());
  const deployments = new DeploymentService(catalog, deploymentRecords, runtime, new LoopbackPortAllocator(), Date.now, ctx.appKeys, health);
  const delivery = new ContinuousDeliveryService(repository, new SqliteAppWebhookRepository(db), deploymentRecords, deployments);
  const reviews = new AppReviewService(repository, Date.now, async (approved) => {
    const redeployments = await delivery.afterApproval(approved);
    if (redeployments.length > 0) logger.info({ appId: approved.appId, version: approved.version, redeployments }, 'following deployments redeployed');
  });
  const installs = new AppInstallService(repository, deployments);
  const useCases = { catalog, reviews, marketplace: new MarketplaceService(repository), deployments, installs, delivery };
  const rootRoutes = Router();
  rootRoutes.use(webhookRoutes(delivery, ctx.logger), appProxyRoutes(deployments, ctx.authenticate, ctx.logger));
  return {
    name: 'app-registry',
    catalog,
    deployments,
    apiRoutes: apiRoutes(useCases, ctx.authenticate, ctx.events, ctx.logger),
    rootRoutes,
    async start() {
      // The platform starts without an engine (issue 7 point 8): deploys answer 503 until one answers.
      const engine = await runtime.availability();
      if (engine.available) logger.info({ runtime: runtime.kind, engine: engine.engine }, 'container runtime ready');
      else logger.warn({ runtime: runtime.kind, reason: engine.reason }, 'no container runtime: app deployments are unavailable');
    },
  };
}
