import { join } from 'node:path';
import type { Service, ServiceContext } from '@citus/kit';
import { searchRoutes } from './adapters/http/search.routes.js';
import { FtsSearchIndex } from './adapters/sqlite/fts.search-index.js';
import { IndexerWorkerClient } from './adapters/worker/indexer-worker.client.js';
import type { IndexerConfig } from './config.js';

export interface IndexerContext extends ServiceContext {
  config: IndexerConfig;
}

export interface IndexerModule extends Service {
  /** The indexer thread: its lag behind the change log and its running counts. */
  indexer: Pick<IndexerWorkerClient, 'lagMs' | 'stats'>;
}

/**
 * The embedded indexer: the hub's change log in `telemetry.db` -> the FTS5 index in `search.db`,
 * its checkpoints in `indexer.db`, all written on a worker thread (see `indexer.worker.ts`); this
 * thread only answers searches from `search.db` and forwards registry events. The search index is
 * its own file so a rebuild is a delete; the checkpoints are apart from it because they must only
 * ever trail it. `start` must run after the hub's: the hub creates the tables the feed reads.
 */
export function createService(ctx: IndexerContext): IndexerModule {
  const logger = ctx.logger.child({ module: 'indexer' });
  // Opened here first, so its migrations have run before the thread opens it too.
  const index = FtsSearchIndex.open(join(ctx.dataDir, 'search.db'));
  const setReady = ctx.health.register('indexer');
  const worker = new IndexerWorkerClient({ dataDir: ctx.dataDir, logLevel: ctx.logger.level }, logger, () => setReady(false));

  ctx.events.on('device.changed', ({ workspaceId, thingName, name, type, location }) =>
    worker.deviceChanged({ workspaceId, thingName, name, ...(type ? { type } : {}), ...(location ? { location } : {}) }),
  );
  ctx.events.on('thing.deleted', ({ workspaceId, thingName }) => worker.thingDeleted(workspaceId, thingName));

  // Registered before the thread stops (added in start), so it runs after it.
  ctx.shutdown.add('search index', () => index.close());

  return {
    name: 'indexer',
    indexer: worker,
    apiRoutes: searchRoutes(index, ctx.authenticate),
    async start() {
      await worker.start();
      ctx.shutdown.add('indexer', () => worker.stop());
      setReady(true);
    },
  };
}
