import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { IndexerService } from '../../app/indexer.service.js';
import { SqliteCheckpointStore } from '../sqlite/checkpoint.store.js';
import { FtsSearchIndex } from '../sqlite/fts.search-index.js';
import { SqliteChangeFeed } from '../sqlite/sqlite.change-feed.js';
import type { DeviceDocument } from '../../domain/search-index.port.js';
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

/**
 * Registry events come one by one (a fleet declared through the API is a burst of them): they are
 * gathered for a moment and written in one transaction, in arrival order with deletions, so a
 * burst costs one fsync instead of one each — fsyncs the hub's own commits would queue behind.
 */
const GATHER_MS = 25;
let pendingDevices: DeviceDocument[] = [];
let gathering: NodeJS.Timeout | undefined;
let chain: Promise<void> = Promise.resolve();

function then(work: () => Promise<void>, what: string): Promise<void> {
  chain = chain.then(work).catch((error: unknown) => logger.error({ err: error, what }, 'indexer request failed'));
  return chain;
}

function flushDevices(): Promise<void> {
  clearTimeout(gathering);
  gathering = undefined;
  const devices = pendingDevices;
  pendingDevices = [];
  return then(() => indexer.devicesChanged(devices), 'device.changed');
}

async function stop(): Promise<void> {
  clearInterval(reporting);
  await flushDevices();
  await indexer.stop();
  await index.close();
  checkpointDb.close();
  telemetryDb.close();
  send({ type: 'stopped' });
  port?.close();
}

port.on('message', (message: ToIndexer) => {
  switch (message.type) {
    case 'device.changed':
      pendingDevices.push(message.device);
      gathering ??= setTimeout(() => void flushDevices(), GATHER_MS);
      return;
    case 'thing.deleted':
      void flushDevices();
      void then(() => indexer.thingDeleted(message.workspaceId, message.thingName), 'thing.deleted');
      return;
    case 'stop':
      void stop().catch((error: unknown) => logger.error({ err: error }, 'indexer stop failed'));
      return;
  }
});
send({ type: 'ready' });
