import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { IndexerService } from '../../app/indexer.service.js';
import { SqliteCheckpointStore } from '../sqlite/checkpoint.store.js';
import { FtsSearchIndex } from '../sqlite/fts.search-index.js';
import { SqliteChangeFeed } from '../sqlite/sqlite.change-feed.js';
import type { FromIndexer, IndexerWorkerData, ToIndexer } from './indexer-worker.protocol.js';

/**
 * The embedded indexer on a thread of its own: tokenising and writing the FTS5 index is CPU work
 * that, on the platform's event loop, halved ingest (`pnpm bench ingest`: 23.8k -> 12.4k msg/s).
 * Here it uses the second core; its files are its own, and it only reads `telemetry.db`.
 */
const port = parentPort;
if (!port) throw new Error('indexer.worker runs as a worker thread');
const { dataDir, logLevel } = workerData as IndexerWorkerData;
const logger = createLogger({ level: logLevel }).child({ module: 'indexer', thread: 'worker' });
const send = (message: FromIndexer) => port.postMessage(message);

const index = FtsSearchIndex.open(join(dataDir, 'search.db'));
const checkpointDb = openDatabase(join(dataDir, 'indexer.db'), { module: 'indexer', migrations: [] });
const telemetryDb = openDatabase(join(dataDir, 'telemetry.db'), { module: 'indexer-reader', migrations: [] });
const indexer = new IndexerService(index, logger);
indexer.start(
  new SqliteChangeFeed({ db: telemetryDb, checkpoints: new SqliteCheckpointStore(checkpointDb), logger: logger.child({ component: 'change-feed' }) }),
);
const reporting = setInterval(() => send({ type: 'stats', lagMs: indexer.lagMs(), stats: indexer.stats() }), 500);

async function stop(): Promise<void> {
  clearInterval(reporting);
  await indexer.stop();
  await index.close();
  checkpointDb.close();
  telemetryDb.close();
  send({ type: 'stopped' });
  port?.close();
}

port.on('message', (message: ToIndexer) => {
  const done = (work: Promise<unknown>) => work.catch((error: unknown) => logger.error({ err: error, message: message.type }, 'indexer request failed'));
  switch (message.type) {
    case 'device.changed':
      return void done(indexer.deviceChanged(message.device));
    case 'thing.deleted':
      return void done(indexer.thingDeleted(message.workspaceId, message.thingName));
    case 'stop':
      return void done(stop());
  }
});
send({ type: 'ready' });
