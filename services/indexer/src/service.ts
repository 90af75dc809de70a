import { join } from 'node:path';
import type { Service, ServiceContext } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { searchRoutes } from './adapters/http/search.routes.js';
import { SqliteCheckpointStore } from './adapters/sqlite/checkpoint.store.js';
import { FtsSearchIndex } from './adapters/sqlite/fts.search-index.js';
import { SqliteChangeFeed } from './adapters/sqlite/sqlite.change-feed.js';
import { IndexerService } from './app/indexer.service.js';
import type { IndexerConfig } from './config.js';

export interface IndexerContext extends ServiceContext {
  config: IndexerConfig;
}

export interface IndexerModule extends Service {
  indexer: IndexerService;
}

/**
 * The embedded indexer: the hub's change log in `telemetry.db` -> the FTS5 index in `search.db`,
 * its checkpoints in `indexer.db`. The search index is its own file so a rebuild is a delete; the
 * checkpoints are apart from it because they must only ever trail it (saved after the index write
 * committed), never be rolled back with it. `start` must run after the hub's: the hub creates the
 * telemetry tables the feed reads.
 */
export function createService(ctx: IndexerContext): IndexerModule {
  const logger = ctx.logger.child({ module: 'indexer' });
  const index = FtsSearchIndex.open(join(ctx.dataDir, 'search.db'));
  const checkpointDb = openDatabase(join(ctx.dataDir, 'indexer.db'), { module: 'indexer', migrations: [] });
  const checkpoints = new SqliteCheckpointStore(checkpointDb);
  let telemetryDb: SqliteDatabase | undefined;
  const indexer = new IndexerService(index, logger);
  const setReady = ctx.health.register('indexer');

  ctx.events.on('device.changed', ({ workspaceId, thingName, name, type, location }) =>
    indexer.deviceChanged({ workspaceId, thingName, name, ...(type ? { type } : {}), ...(location ? { location } : {}) }),
  );
  ctx.events.on('thing.deleted', ({ workspaceId, thingName }) => indexer.thingDeleted(workspaceId, thingName));

  // Registered before the feed stops (added in start), so it runs after: no batch is in hand any more.
  ctx.shutdown.add('search index', async () => {
    await index.close();
    checkpointDb.close();
    telemetryDb?.close();
  });

  return {
    name: 'indexer',
    indexer,
    apiRoutes: searchRoutes(index, ctx.authenticate),
    async start() {
      // Its own connection: WAL lets it read while the hub writes, and the hub's stays uncontended.
      telemetryDb = openDatabase(join(ctx.dataDir, 'telemetry.db'), { module: 'indexer-reader', migrations: [] });
      const feed = new SqliteChangeFeed({ db: telemetryDb, checkpoints, logger: logger.child({ component: 'change-feed' }) });
      indexer.start(feed);
      ctx.shutdown.add('indexer', () => indexer.stop());
      setReady(true);
    },
  };
}
