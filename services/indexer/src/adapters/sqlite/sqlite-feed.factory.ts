import { join } from 'node:path';
import type { Logger } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import type { OpenedFeed } from '../../domain/change-feed.port.js';
import { SqliteCheckpointStore } from './checkpoint.store.js';
import { SqliteChangeFeed } from './sqlite.change-feed.js';

/**
 * The embedded change feed: its own connection to the hub's `telemetry.db` (read only, beside the
 * hub's writer), its checkpoints in `indexer.db`, apart from `search.db` because they must only
 * ever trail it. Open it after the hub has started: the hub creates the tables it reads.
 */
export function openSqliteChangeFeed(dataDir: string, logger: Logger): OpenedFeed {
  const checkpointDb = openDatabase(join(dataDir, 'indexer.db'), { module: 'indexer', migrations: [] });
  const telemetryDb = openDatabase(join(dataDir, 'telemetry.db'), { module: 'indexer-reader', migrations: [] });
  const feed = new SqliteChangeFeed({ db: telemetryDb, checkpoints: new SqliteCheckpointStore(checkpointDb), logger: logger.child({ component: 'change-feed' }) });
  return {
    feed,
    close: () => {
      checkpointDb.close();
      telemetryDb.close();
    },
  };
}
