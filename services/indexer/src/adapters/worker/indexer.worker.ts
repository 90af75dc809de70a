import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '@citus/kit';
import { DeviceEventQueue } from '../../app/device-events.queue.js';
import { IndexerService } from '../../app/indexer.service.js';
import { FtsSearchIndex } from '../sqlite/fts.search-index.js';
import { openSqliteChangeFeed } from '../sqlite/sqlite-feed.factory.js';
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
const opened = openSqliteChangeFeed(dataDir, logger);
const indexer = new IndexerService(index, logger);
indexer.start(opened.feed);
const reporting = setInterval(() => send({ type: 'stats', lagMs: indexer.lagMs(), stats: indexer.stats() }), 500);

const devices = new DeviceEventQueue(indexer, logger);

async function stop(): Promise<void> {
  clearInterval(reporting);
  await devices.flush();
  await indexer.stop();
  await index.close();
  await opened.close();
  send({ type: 'stopped' });
  port?.close();
}

port.on('message', (message: ToIndexer) => {
  switch (message.type) {
    case 'device.changed':
      devices.deviceChanged(message.device);
      return;
    case 'thing.deleted':
      devices.thingDeleted(message.workspaceId, message.thingName);
      return;
    case 'stop':
      void stop().catch((error: unknown) => logger.error({ err: error }, 'indexer stop failed'));
      return;
  }
});
send({ type: 'ready' });
