import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from '@citus/kit';
import type { SqliteDatabase, SqliteStatement } from '@citus/sqlite';
import type { ChangeBatch, ChangeFeed, ChangeRecord, CheckpointStore, FeedSubscription } from '../../domain/change-feed.port.js';
// The stop switch the DynamoDB Streams feed uses, shared from there so both feeds stop alike.
import { PollSignal, type Backoff } from '@citus/dynamodb';

export interface SqliteChangeFeedOptions {
  /** A connection to the hub's `telemetry.db`, the indexer's own: WAL lets it read while the hub writes. */
  db: SqliteDatabase;
  checkpoints: CheckpointStore;
  logger?: Logger;
  /** Wait after a short read (the feed caught up) before reading again. */
  pollMs?: number;
  /** Changes per read, and so at most this many records per batch. */
  batchSize?: number;
  backoff?: Backoff;
}

/** The embedded change log has one partition: it is written by the hub's single SQLite writer. */
export const TELEMETRY_PARTITION = 'telemetry';

const DEFAULTS = { pollMs: 100, batchSize: 500, backoff: { initialMs: 100, maxMs: 10_000 } };

/** A change row with its record, or nulls when retention has deleted the record since. */
interface ChangeRow {
  seq: number;
  topic: string;
  epoch: number;
  at: number;
  workspaceId: string | null;
  thingName: string | null;
  payload: string | null;
}

// LEFT JOIN: a change whose record is gone is still read, so the checkpoint moves past it.
const READ_CHANGES = `SELECT c.seq, c.topic, c.epoch, c.at,
    t.workspace_id AS workspaceId, t.thing_name AS thingName, t.payload
  FROM telemetry_changes c LEFT JOIN telemetry t ON t.topic = c.topic AND t.epoch = c.epoch
  WHERE c.seq > ? ORDER BY c.seq LIMIT ?`;

const STOPPED = Symbol('stopped');

/**
 * The embedded change feed: the hub's `telemetry_changes` log in `telemetry.db`, one row per stored
 * record, written in the record's own transaction. Its `seq` only grows (AUTOINCREMENT, never
 * reused after a trim) and the hub's one writer commits in `seq` order, so reading `seq >
 * checkpoint` never passes a change that commits later. The checkpoint is the last `seq` of a
 * batch, saved only after `handle` resolved.
 */
export class SqliteChangeFeed implements ChangeFeed {
  private readonly options: SqliteChangeFeedOptions & typeof DEFAULTS;

  constructor(options: SqliteChangeFeedOptions) {
    this.options = { ...DEFAULTS, ...options };
  }

  start(consumer: string, handle: (batch: ChangeBatch) => Promise<void>): FeedSubscription {
    return new SqliteSubscription(this.options, consumer, handle);
  }
}

class SqliteSubscription implements FeedSubscription {
  private readonly signal = new PollSignal();
  /** The newest change's `at` in the batch in hand; undefined once a read comes back short. */
  private newest: number | undefined;
  private statement: SqliteStatement | undefined;
  private readonly running: Promise<void>;

  constructor(
    private readonly options: SqliteChangeFeedOptions & typeof DEFAULTS,
    private readonly consumer: string,
    private readonly handle: (batch: ChangeBatch) => Promise<void>,
  ) {
    this.running = this.run().catch((error: unknown) => this.options.logger?.error({ err: error, consumer }, 'change feed stopped on an error'));
  }

  async stop(): Promise<void> {
    this.signal.stop();
    await this.running;
  }

  lagMs(): number {
    return this.newest === undefined ? 0 : Math.max(0, Date.now() - this.newest);
  }

  private async run(): Promise<void> {
    const loaded = await this.persist('load checkpoint', () => this.options.checkpoints.load(this.consumer, TELEMETRY_PARTITION));
    if (loaded === STOPPED) return;
    let position = loaded === undefined ? 0 : Number(loaded);
    if (!Number.isSafeInteger(position)) throw new Error(`checkpoint ${String(loaded)} of ${this.consumer} is not a change sequence number`);
    while (!this.signal.stopped) {
      const rows = await this.persist('read changes', async () => this.read(position));
      if (rows === STOPPED) return;
      const last = rows.at(-1);
      this.newest = last?.at;
      if (last !== undefined) {
        if ((await this.deliver(rows, last.seq)) === STOPPED) return;
        position = last.seq;
      }
      if (rows.length < this.options.batchSize) {
        this.newest = undefined;
        await this.signal.sleep(this.options.pollMs);
      } else {
        // A full read means more may be waiting: read on, but after pending I/O. The reads and a
        // synchronous handle resolve without a macrotask, so a backlog would otherwise starve the
        // hub's sockets in the same process (the embedded platform) until it was worked off.
        await yieldToEventLoop();
      }
    }
  }

  /**
   * Prepared on first use rather than at start, so a feed started before the hub has migrated
   * `telemetry.db` backs off and retries instead of failing for good.
   */
  private read(after: number): ChangeRow[] {
    this.statement ??= this.options.db.prepare(READ_CHANGES);
    return this.statement.all(after, this.options.batchSize) as ChangeRow[];
  }

  /** Hands over the records still there, then saves `lastSeq` (skipped changes included). */
  private async deliver(rows: ChangeRow[], lastSeq: number): Promise<void | typeof STOPPED> {
    const records = rows.map(toChangeRecord).filter((record) => record !== undefined);
    if (records.length > 0) {
      const handled = await this.persist('handle', () => this.handle({ partition: TELEMETRY_PARTITION, records }));
      if (handled === STOPPED) return STOPPED;
    }
    const saved = await this.persist('save checkpoint', () => this.options.checkpoints.save(this.consumer, TELEMETRY_PARTITION, String(lastSeq)));
    return saved === STOPPED ? STOPPED : undefined;
  }

  /** Runs `work` until it succeeds, backing off between failures; gives up only when stopped. */
  private async persist<T>(what: string, work: () => Promise<T>): Promise<T | typeof STOPPED> {
    for (let failures = 1; ; failures++) {
      try {
        return await work();
      } catch (error) {
        if (this.signal.stopped) return STOPPED;
        this.options.logger?.warn({ err: error, consumer: this.consumer, failures }, `${what} failed; retrying after a back-off`);
        await this.signal.backOff(this.options.backoff, failures);
        if (this.signal.stopped) return STOPPED;
      }
    }
  }
}

/** Undefined when retention deleted the record after its change was logged: there is nothing to index. */
function toChangeRecord(row: ChangeRow): ChangeRecord | undefined {
  if (row.workspaceId === null || row.thingName === null || row.payload === null) return undefined;
  return { topic: row.topic, epoch: row.epoch, workspaceId: row.workspaceId, thingName: row.thingName, payload: row.payload };
}
