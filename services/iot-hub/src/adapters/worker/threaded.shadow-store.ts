import type { Logger } from '@citus/kit';
import type { ShadowKey, ShadowRepository, ShadowWrite, StoredShadow } from '../../domain/shadow/shadow.model.js';
import type { ShadowWriterRequest } from './shadow-writer.protocol.js';
import { WriterThread } from './writer-thread.js';

/** The built worker, as for the telemetry writer (see threaded.telemetry-table.ts). */
const WORKER_FILE = new URL('../../../dist/adapters/worker/shadow-writer.worker.js', import.meta.url);

/**
 * `shadows.db` with its writes on a thread of their own (`shadow-writer.worker`) and its reads on
 * the caller's thread through `reader`: SQLite's WAL lets a read see every committed write. The
 * thread runs requests in the order they were made, so a thing's removal lands after the writes
 * asked for before it.
 */
export class ThreadedShadowStore implements ShadowRepository {
  private readonly writer: WriterThread<ShadowWriterRequest, number>;

  constructor(
    file: string,
    private readonly reader: ShadowRepository,
    logger: Logger,
  ) {
    this.writer = new WriterThread('shadow', WORKER_FILE, file, logger);
  }

  start(): Promise<void> {
    return this.writer.start();
  }

  load(key: ShadowKey): StoredShadow | undefined {
    return this.reader.load(key);
  }

  async write(writes: ShadowWrite[]): Promise<void> {
    await this.writer.call({ op: 'write', writes });
  }

  deleteThing(workspaceId: string, thingName: string): Promise<number> {
    return this.writer.call({ op: 'deleteThing', workspaceId, thingName });
  }

  /** Lets the thread commit what it holds, then ends it. */
  stop(): Promise<void> {
    return this.writer.stop();
  }
}
