import { join } from 'node:path';
import type { Anomaly } from '@citus/contracts';
import type { Logger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { ANALYTICS_MIGRATIONS } from './adapters/sqlite/analytics.migrations.js';
import { SqliteDetectionStore } from './adapters/sqlite/detection.store.js';
import { SqliteSettingsRepository } from './adapters/sqlite/settings.repository.js';
import { AnomalyDetectionService } from './app/anomaly-detection.service.js';
import { DetectionSettingsService } from './app/detection-settings.service.js';
import type { ThingDirectory } from './domain/detection-store.port.js';

export interface DetectionModule {
  db: SqliteDatabase;
  store: SqliteDetectionStore;
  settings: DetectionSettingsService;
  detection: AnomalyDetectionService;
}

export interface DetectionOptions {
  dataDir: string;
  things: ThingDirectory;
  logger: Logger;
  maxLiveSeries: number;
  maxSeriesPerThing: number;
  onAnomaly: (anomaly: Anomaly) => void;
}

/**
 * The detection loop over `analytics.db`: what the service runs on the change feed, and what
 * `pnpm bench analytics` drives directly. The caller closes `db`.
 */
export function openDetection(options: DetectionOptions): DetectionModule {
  const db = openDatabase(join(options.dataDir, 'analytics.db'), { module: 'analytics', migrations: ANALYTICS_MIGRATIONS });
  const store = new SqliteDetectionStore(db);
  const settings = new DetectionSettingsService(new SqliteSettingsRepository(db), options.things);
  const detection = new AnomalyDetectionService(store, settings, options.logger, {
    maxLiveSeries: options.maxLiveSeries,
    maxSeriesPerThing: options.maxSeriesPerThing,
    onAnomaly: options.onAnomaly,
  });
  return { db, store, settings, detection };
}
