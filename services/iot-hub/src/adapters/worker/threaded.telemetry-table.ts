import { Worker } from 'node:worker_threads';
import type { Logger } from '@citus/kit';
import type { TelemetryEntry, TelemetryTable } from '../../domain/telemetry-table.port.js';
import type { TelemetryRange, TelemetryRepository, WriteOutcome } from '../../domain/telemetry.model.js';
import { toWire, type FromWriter, type TelemetryWriterData, type ToWriter } from './telemetry-writer.protocol.js';

/**
 * The worker runs the built JavaScript: `dist/` sits beside `src/` in the package, three levels up
 * from this file either way, so tests that load the sources (after `npm run build`) start it too.
 */
const WORKER_FILE = new URL('../../../dist/adapters/worker/telemetry-writer.worker.js', import.meta.url);
const STOP_TIMEOUT_MS = 10_000;

interface Waiting {
  resolve: (outcomes: WriteOutcome[]) => void;
  reject: (error: Error) => void;
}

/**
 * The embedded telemetry table with its writes on a thread of their own (`telemetry-writer.worker`)
 * and its reads on the caller's thread, through `reader` (SQLite's WAL lets them run side by side).
 * Should the thread die, the writes it held fail (so none is acknowledged) and the next write
 * starts a new thread.
 */
export class ThreadedTelemetryTable implements TelemetryTable {
  private worker: Promise<Worker> | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private stopped = false;

  constructor(
    private readonly file: string,
    private readonly reader: TelemetryRepository,
    private readonly logger: Logger,
  ) {}

  /** Starts the writer thread; resolves once it has opened the file. */
  async start(): Promise<void> {
    await this.thread();
  }

  async write(entries: TelemetryEntry[]): Promise<WriteOutcome[]> {
    if (this.stopped) throw new Error('telemetry store is closed');
    const worker = await this.thread();
    const id = this.nextId++;
    return new Promise<WriteOutcome[]>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ type: 'write', id, batch: toWire(entries) } satisfies ToWriter);
    });
  }

  async query(workspaceId: string, thingName: string, range: TelemetryRange) {
    return this.reader.query(workspaceId, thingName, range);
  }

  async countDeadLetters(workspaceId: string, thingName: string) {
    return this.reader.countDeadLetters(workspaceId, thingName);
  }

  async recentDeadLetters(workspaceId: string, thingName: string, limit: number) {
    return this.reader.recentDeadLetters(workspaceId, thingName, limit);
  }

  /** Lets the thread finish the writes it holds, then ends it (terminated after a timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    const starting = this.worker;
    this.worker = undefined;
    const worker = await starting?.catch(() => undefined);
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), STOP_TIMEOUT_MS);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'stop' } satisfies ToWriter);
    });
  }

  private thread(): Promise<Worker> {
    this.worker ??= this.spawn();
    return this.worker;
  }

  private spawn(): Promise<Worker> {
    const worker = new Worker(WORKER_FILE, { workerData: { file: this.file } satisfies TelemetryWriterData });
    const started = new Promise<Worker>((resolve, reject) => {
      worker.on('message', (message: FromWriter) => {
        if (message.type === 'ready') return resolve(worker);
        const waiting = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.type === 'written') waiting?.resolve(message.outcomes);
        else waiting?.reject(new Error(`telemetry write failed: ${message.message}`));
      });
      worker.on('error', (error) => {
        this.logger.error({ err: error }, 'telemetry writer thread failed');
        reject(error);
      });
      worker.once('exit', (code) => {
        // Writes still waiting were never answered: they fail, so none is acknowledged.
        if (this.worker === started) this.worker = undefined;
        const lost = new Error(`telemetry writer thread exited (code ${code})`);
        for (const waiting of this.waiting.values()) waiting.reject(lost);
        this.waiting.clear();
        reject(lost);
      });
    });
    return started;
  }
}
