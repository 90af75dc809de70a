import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedeployOutcome } from '@citus/contracts';
import { AesGcmSecretCipher } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { APP_MIGRATIONS } from '../../src/adapters/sqlite/app.migrations.js';
import { SqliteAppRepository } from '../../src/adapters/sqlite/app.repository.js';
import { SqliteAppWebhookRepository } from '../../src/adapters/sqlite/app-webhook.repository.js';
import { SqliteDeploymentRepository } from '../../src/adapters/sqlite/deployment.repository.js';
import { AppCatalogService } from '../../src/app/app-catalog.service.js';
import { AppReviewService } from '../../src/app/app-review.service.js';
import { ContinuousDeliveryService } from '../../src/app/continuous-delivery.service.js';
import type { DeploymentHealth } from '../../src/app/deployment-health.js';
import { DeploymentService } from '../../src/app/deployment.service.js';
import { inMemoryKeys, inMemoryRuntime } from './in-memory-engine.js';

export interface DeliveryHarness {
  db: SqliteDatabase;
  engine: ReturnType<typeof inMemoryRuntime>;
  keys: ReturnType<typeof inMemoryKeys>;
  records: SqliteDeploymentRepository;
  catalog: AppCatalogService;
  reviews: AppReviewService;
  deployments: DeploymentService;
  /** What each approval's redeploys came to, in order; the caller empties it. */
  outcomes: RedeployOutcome[];
  /** Closes the store and removes its dir. */
  close(): void;
}

/**
 * Continuous delivery on a real `apps.db` in a temp dir, an in-memory engine and key issuer:
 * approving a version redeploys the deployments that follow its app, as the service wires it.
 */
export function deliveryHarness(options: { health?: DeploymentHealth } = {}): DeliveryHarness {
  const dir = mkdtempSync(join(tmpdir(), 'citus-delivery-'));
  const db = openDatabase(join(dir, 'apps.db'), { module: 'app-registry', migrations: APP_MIGRATIONS });
  const apps = new SqliteAppRepository(db);
  const records = new SqliteDeploymentRepository(db, new AesGcmSecretCipher(Buffer.alloc(32, 2)));
  const engine = inMemoryRuntime();
  const keys = inMemoryKeys();
  let nextPort = 43_000;
  const catalog = new AppCatalogService(apps);
  const ports = { allocate: async () => (nextPort += 1), isFree: async () => true };
  const deployments = new DeploymentService(catalog, records, engine.runtime, ports, Date.now, keys.issuer, options.health);
  const delivery = new ContinuousDeliveryService(apps, new SqliteAppWebhookRepository(db), records, deployments);
  const outcomes: RedeployOutcome[] = [];
  const reviews = new AppReviewService(apps, Date.now, async (approved) => void outcomes.push(...(await delivery.afterApproval(approved))));
  return {
    db,
    engine,
    keys,
    records,
    catalog,
    reviews,
    deployments,
    outcomes,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
