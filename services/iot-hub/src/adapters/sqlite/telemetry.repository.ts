import type { DeadLetter as DeadLetterView } from '@citus/contracts';
import type { Migration, SqliteDatabase, SqliteStatement } from '@citus/sqlite';
import type {
  StorableEntry,
  StoredItem,
  TelemetryRange,
  TelemetryRecord,
  TelemetryRepository,
  WriteOutcome,
} from '../../domain/telemetry.model.js';

type StoredRecord = Omit<TelemetryRecord, 'document'>;

export const TELEMETRY_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      -- The original's DynamoDB table: partition key topic, sort key epoch (ms).
      CREATE TABLE telemetry (
        topic TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        thing_name TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        -- The device's own timestamp, when it gave one; differs from epoch only when displaced.
        device_epoch INTEGER,
        PRIMARY KEY (topic, epoch)
      ) WITHOUT ROWID;
      -- Only displaced messages (rare) are indexed: enough to recognise their resends.
      CREATE INDEX telemetry_displaced ON telemetry (topic, device_epoch) WHERE device_epoch <> epoch;
      CREATE INDEX telemetry_by_thing ON telemetry (workspace_id, thing_name, epoch, topic);
      CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        thing_name TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        payload BLOB NOT NULL,
        received_at INTEGER NOT NULL
      );
      CREATE INDEX dead_letters_by_thing ON dead_letters (workspace_id, thing_name, id);`,
  },
  {
    version: 2,
    sql: `
      -- The embedded change feed (the indexer reads it): one row per stored record, written in the
      -- record's transaction. AUTOINCREMENT so a seq is never reused, even once trimming has emptied
      -- the table, since consumers checkpoint by seq. No index on at: trimming walks seq order.
      CREATE TABLE telemetry_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        at INTEGER NOT NULL
      );`,
  },
];

/**
 * Receive-time epochs are bumped by 1 ms on a clash. Past this many the device has filled the
 * slots ahead with its own timestamps; the message is dead-lettered rather than failing the batch.
 */
const MAX_EPOCH_BUMPS = 1_000;
/** Past this many topics, epochs older than now are dropped from the per-topic memory. */
const LAST_EPOCH_PRUNE_AT = 10_000;

export class SqliteTelemetryRepository implements TelemetryRepository {
  private readonly sql;
  /** The last receive-time epoch given per topic, so a burst within one ms gets ms+1, ms+2, ... */
  private readonly lastEpoch = new Map<string, number>();
  private readonly queries = new Map<string, SqliteStatement>();

  constructor(private readonly db: SqliteDatabase) {
    this.sql = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO telemetry (topic, epoch, thing_name, workspace_id, payload, received_at, device_epoch)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      change: db.prepare('INSERT INTO telemetry_changes (topic, epoch, at) VALUES (?, ?, ?)'),
      payloadAt: db.prepare('SELECT payload FROM telemetry WHERE topic = ? AND epoch = ?').pluck(),
      displacedCopy: db
        .prepare(
          `SELECT epoch FROM telemetry WHERE topic = ? AND device_epoch = ? AND device_epoch <> epoch AND payload = ?
           LIMIT 1`,
        )
        .pluck(),
      deadLetter: db.prepare(
        `INSERT INTO dead_letters (topic, thing_name, workspace_id, reason, payload, received_at)
         VALUES (@topic, @thingName, @workspaceId, @reason, @payload, @receivedAt)`,
      ),
      countDeadLetters: db
        .prepare('SELECT count(*) FROM dead_letters WHERE workspace_id = ? AND thing_name = ?')
        .pluck(),
      recentDeadLetters: db.prepare(
        `SELECT topic, reason, received_at AS receivedAt FROM dead_letters
         WHERE workspace_id = ? AND thing_name = ? ORDER BY id DESC LIMIT ?`,
      ),
    };
  }

  write(entries: StorableEntry[]): WriteOutcome[] {
    return this.db.transaction(() =>
      entries.map((entry): WriteOutcome => {
        if ('deadLetter' in entry) {
          this.sql.deadLetter.run(entry.deadLetter);
          return { kind: 'dead-lettered' };
        }
        return this.writeRecord(entry.record);
      }),
    )();
  }

  query(workspaceId: string, thingName: string, range: TelemetryRange): StoredItem[] {
    const asc = range.order === 'asc';
    const clauses = ['workspace_id = @workspaceId', 'thing_name = @thingName'];
    if (range.from !== undefined) clauses.push('epoch >= @from');
    if (range.to !== undefined) clauses.push('epoch <= @to');
    if (range.after) clauses.push(asc ? '(epoch, topic) > (@afterEpoch, @afterTopic)' : '(epoch, topic) < (@afterEpoch, @afterTopic)');
    const direction = asc ? 'ASC' : 'DESC';
    const sql = `SELECT topic, epoch, payload FROM telemetry WHERE ${clauses.join(' AND ')}
         ORDER BY epoch ${direction}, topic ${direction} LIMIT @limit`;
    // At most eight shapes of this query exist (range ends, cursor, order): each is prepared once.
    let statement = this.queries.get(sql);
    if (!statement) this.queries.set(sql, (statement = this.db.prepare(sql)));
    const rows = statement.all({
        workspaceId,
        thingName,
        from: range.from,
        to: range.to,
        afterEpoch: range.after?.epoch,
        afterTopic: range.after?.topic,
        limit: range.limit,
      }) as Array<{ topic: string; epoch: number; payload: string }>;
    return rows.map((row) => ({ topic: row.topic, epoch: row.epoch, payload: JSON.parse(row.payload) as Record<string, unknown> }));
  }

  countDeadLetters(workspaceId: string, thingName: string): number {
    return this.sql.countDeadLetters.get(workspaceId, thingName) as number;
  }

  recentDeadLetters(workspaceId: string, thingName: string, limit: number) {
    return this.sql.recentDeadLetters.all(workspaceId, thingName, limit) as DeadLetterView[];
  }

  /**
   * A device timestamp identifies its message: the same payload again for the same (topic,
   * timestamp) is a resend and is not stored twice. Without one (or when that slot holds a
   * different message, which then displaces this one) the receive time is used, moved on by 1 ms
   * until the slot is free, so nothing is overwritten.
   */
  private writeRecord(record: StoredRecord): WriteOutcome {
    const { topic, deviceEpoch } = record;
    if (deviceEpoch !== undefined) {
      if (this.insert(record, deviceEpoch)) return { kind: 'stored', topic, epoch: deviceEpoch };
      if (this.sql.payloadAt.get(topic, deviceEpoch) === record.payload) return { kind: 'duplicate', topic, epoch: deviceEpoch };
      const displaced = this.sql.displacedCopy.get(topic, deviceEpoch, record.payload) as number | undefined;
      if (displaced !== undefined) return { kind: 'duplicate', topic, epoch: displaced };
    }
    let epoch = Math.max(record.receivedAt, (this.lastEpoch.get(topic) ?? 0) + 1);
    for (let bumps = 0; !this.insert(record, epoch); bumps++) {
      if (bumps >= MAX_EPOCH_BUMPS) {
        const reason = `no free epoch within ${MAX_EPOCH_BUMPS} ms of ${record.receivedAt}`;
        const { thingName, workspaceId, receivedAt } = record;
        this.sql.deadLetter.run({ topic, thingName, workspaceId, receivedAt, reason, payload: Buffer.from(record.payload) });
        return { kind: 'dead-lettered' };
      }
      epoch++;
    }
    this.rememberEpoch(topic, epoch, record.receivedAt);
    return { kind: 'stored', topic, epoch };
  }

  /** Only epochs ahead of the clock matter; the map is pruned of the rest when it grows large. */
  private rememberEpoch(topic: string, epoch: number, now: number): void {
    this.lastEpoch.set(topic, epoch);
    if (this.lastEpoch.size < LAST_EPOCH_PRUNE_AT) return;
    for (const [known, last] of this.lastEpoch) if (last < now) this.lastEpoch.delete(known);
  }

  /**
   * Runs inside `write`'s transaction, so a committed record always has its change row (and an
   * acknowledged message both). Only an actual insert logs a change: duplicates and dead letters don't.
   */
  private insert(record: StoredRecord, epoch: number): boolean {
    const { topic, receivedAt } = record;
    const stored =
      this.sql.insert.run(topic, epoch, record.thingName, record.workspaceId, record.payload, receivedAt, record.deviceEpoch ?? null)
        .changes === 1;
    if (stored) this.sql.change.run(topic, epoch, receivedAt);
    return stored;
  }
}
