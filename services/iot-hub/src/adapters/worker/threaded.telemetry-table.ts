import type { Logger } from '@citus/kit';
import type { TelemetryEntry, TelemetryTable } from '../../domain/telemetry-table.port.js';
import type { TelemetryRange, TelemetryRepository, WriteOutcome } from '../../domain/telemetry.model.js';
import { toWire, type WireBatch } from './telemetry-writer.protocol.js';
import { WriterThread } from './writer-thread.js';

/**
 * The worker runs the built JavaScript: `dist/` sits beside `src/` in the package, three levels up
 * from this file either way, so tests that load the sources (after `npm run build`) start it too.
 */
const WORKER_FILE = new URL('../../../dist/adapters/worker/telemetry-writer.worker.js', import.meta.url);

/**
 * The embedded telemetry table with its writes on a thread of their own (`telemetry-writer.worker`)
 * and its reads on the caller's thread, through `reader` (SQLite's WAL lets them run side by side).
 */
export class ThreadedTelemetryTable implements TelemetryTable {
  private readonly writer: WriterThread<WireBatch, WriteOutcome[]>;

  constructor(
    file: string,
    private readonly reader: TelemetryRepository,
    logger: Logger,
  ) {
    this.writer = new WriterThread('telemetry', WORKER_FILE, file, logger);
  }

  /** Starts the writer thread; resolves once it has opened the file. */
  start(): Promise<void> {
    return this.writer.start();
  }

  write(entries: TelemetryEntry[]): Promise<WriteOutcome[]> {
    return this.writer.call(toWire(entries));
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
  stop(): Promise<void> {
    return this.writer.stop();
  }
}
