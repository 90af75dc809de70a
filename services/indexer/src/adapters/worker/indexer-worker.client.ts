import { Worker } from 'node:worker_threads';
import type { Logger } from '@citus/kit';
import type { IndexerStats } from '../../app/indexer.service.js';
import type { DeviceDocument } from '../../domain/search-index.port.js';
import type { FromIndexer, IndexerWorkerData, ToIndexer } from './indexer-worker.protocol.js';

/**
 * The worker runs the built JavaScript: `dist/` sits beside `src/` in the package, three levels up
 * from this file either way, so tests that load the sources (after `npm run build`) start it too.
 */
const WORKER_FILE = new URL('../../../dist/adapters/worker/indexer.worker.js', import.meta.url);
const STOP_TIMEOUT_MS = 10_000;

const EMPTY_STATS: IndexerStats = { batches: 0, records: 0, failedBatches: 0, rejectedDocuments: 0, devicesUpserted: 0, devicesRemoved: 0 };

/** The platform's handle on the indexer thread: forwards registry events, reads lag and counts. */
export class IndexerWorkerClient {
  private worker: Worker | undefined;
  private lastLag = 0;
  private lastStats: IndexerStats = EMPTY_STATS;

  constructor(
    private readonly data: IndexerWorkerData,
    private readonly logger: Logger,
    private readonly onFailure: (error: Error) => void,
  ) {}

  async start(): Promise<void> {
    const worker = new Worker(WORKER_FILE, { workerData: this.data });
    this.worker = worker;
    worker.on('message', (message: FromIndexer) => {
      if (message.type === 'stats') {
        this.lastLag = message.lagMs;
        this.lastStats = message.stats;
      }
    });
    worker.on('error', (error) => {
      this.logger.error({ err: error }, 'indexer thread failed');
      this.onFailure(error);
    });
    await new Promise<void>((resolve, reject) => {
      const ready = (message: FromIndexer) => {
        if (message.type !== 'ready') return;
        worker.off('message', ready);
        resolve();
      };
      worker.on('message', ready);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`indexer thread exited with code ${code} before it was ready`)));
    });
  }

  deviceChanged(device: DeviceDocument): void {
    this.post({ type: 'device.changed', device });
  }

  thingDeleted(workspaceId: string, thingName: string): void {
    this.post({ type: 'thing.deleted', workspaceId, thingName });
  }

  lagMs(): number {
    return this.lastLag;
  }

  stats(): IndexerStats {
    return this.lastStats;
  }

  /** Asks the thread to finish the batch in hand and close its files; ends it after a timeout. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    const stopped = new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), STOP_TIMEOUT_MS);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    worker.postMessage({ type: 'stop' } satisfies ToIndexer);
    await stopped;
  }

  private post(message: ToIndexer): void {
    this.worker?.postMessage(message);
  }
}
