import { join } from 'node:path';
import { openStreamsChangeFeed, SqliteChangeFeed, SqliteCheckpointStore, type CheckpointStore, type OpenedFeed } from '@citus/indexer';
import type { Logger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import type { AnalyticsConfig } from '../../config.js';

/**
 * The telemetry change feed the indexer reads too, under analytics' own consumer name. Embedded:
 * a read connection to the hub's `telemetry.db`, the checkpoints in `analytics.db` beside the
 * detector states (the caller's handle, which it closes). Scale-out: the DynamoDB telemetry
 * table's stream, checkpoints in DynamoDB. Open it after the hub has started: the hub creates
 * what it reads.
 */
export function openTelemetryFeed(
  config: AnalyticsConfig,
  dataDir: string,
  analyticsDb: SqliteDatabase,
  logger: Logger,
  wrapCheckpoints: (store: CheckpointStore) => CheckpointStore,
): Promise<OpenedFeed> {
  if (config.CITUS_TELEMETRY_STORE === 'sqlite') {
    const telemetryDb = openDatabase(join(dataDir, 'telemetry.db'), { module: 'analytics-reader', migrations: [] });
    const checkpoints = wrapCheckpoints(new SqliteCheckpointStore(analyticsDb));
    const feed = new SqliteChangeFeed({ db: telemetryDb, checkpoints, logger: logger.child({ component: 'change-feed' }) });
    return Promise.resolve({ feed, close: () => void telemetryDb.close() });
  }
  const region = config.AWS_REGION;
  if (region === undefined) throw new Error('AWS_REGION is required when CITUS_TELEMETRY_STORE is dynamodb');
  const endpoint = config.CITUS_DYNAMODB_ENDPOINT;
  return openStreamsChangeFeed({ region, tablePrefix: config.CITUS_DYNAMODB_TABLE_PREFIX, wrapCheckpoints, ...(endpoint === undefined ? {} : { endpoint }) }, logger);
}
