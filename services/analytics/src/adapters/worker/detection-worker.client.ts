import { Worker } from 'node:worker_threads';
import type { Anomaly } from '@citus/contracts';
import type { Logger } from '@citus/kit';
import type { DetectionStats } from '../../app/anomaly-detection.service.js';
import type { DetectionWorkerData, FromDetection, ToDetection } from './detection-worker.protocol.js';

/**
 * The worker runs the built JavaScript: `dist/` sits beside `src/` in the package, three levels up
 * from this file either way, so tests that load the sources (after `npm run build`) start it too.
 */
const WORKER_FILE = new URL('../../../dist/adapters/worker/detection.worker.js', import.meta.url);
const STOP_TIMEOUT_MS = 15_000;

const EMPTY_STATS: DetectionStats = { points: 0, skipped: 0, anomalies: 0, refused: 0, liveSeries: 0, unsavedSeries: 0 };

/** The platform's handle on the detection thread: forwards settings and deletions, hears anomalies, reads lag and counts. */
export class DetectionWorkerClient {
  private worker: Worker | undefined;
  private lastLag = 0;
  private lastStats: DetectionStats = EMPTY_STATS;

  constructor(
    private readonly data: DetectionWorkerData,
    private readonly logger: Logger,
    private readonly onAnomaly: (anomaly: Anomaly) => void,
    private readonly onFailure: (error: Error) => void,
  ) {}

  async start(): Promise<void> {
    const worker = new Worker(WORKER_FILE, { workerData: this.data });
    this.worker = worker;
    worker.on('message', (message: FromDetection) => {
      if (message.type === 'anomaly') this.onAnomaly(message.anomaly);
      else if (message.type === 'stats') {
        this.lastLag = message.lagMs;
        this.lastStats = message.stats;
      }
    });
    worker.on('error', (error) => {
      this.logger.error({ err: error }, 'detection thread failed');
      this.onFailure(error);
    });
    await new Promise<void>((resolve, reject) => {
      const ready = (message: FromDetection) => {
        if (message.type !== 'ready') return;
        worker.off('message', ready);
        resolve();
      };
      worker.on('message', ready);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`detection thread exited with code ${code} before it was ready`)));
    });
  }

  settingsChanged(): void {
    this.post({ type: 'settings.changed' });
  }

  thingDeleted(workspaceId: string, thingName: string): void {
    this.post({ type: 'thing.deleted', workspaceId, thingName });
  }

  lagMs(): number {
    return this.lastLag;
  }

  stats(): DetectionStats {
    return this.lastStats;
  }

  /** Asks the thread to stop its feed and save every state; ends it after a timeout. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.error('detection thread did not stop in time; ended (its unsaved states are read again from the feed at the next start)');
        void worker.terminate().then(() => resolve());
      }, STOP_TIMEOUT_MS);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'stop' } satisfies ToDetection);
    });
  }

  private post(message: ToDetection): void {
    this.worker?.postMessage(message);
  }
}
