import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type { ExpiredChunk, RetentionPeriod, RetentionRepository } from '../../app/retention.service.js';

/**
 * Applied to `telemetry.db` (module `retention`) after the telemetry migrations, since it indexes
 * their dead-letter table. Telemetry itself needs no new index: expired rows are found per thing
 * through `telemetry_by_thing` (workspace_id, thing_name, epoch), so ingest pays nothing more.
 * Dead letters are rare, so indexing them by age costs ingest nothing measurable.
 */
export const RETENTION_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE retention_periods (
        workspace_id TEXT PRIMARY KEY,
        days INTEGER NOT NULL CHECK (days > 0),
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX dead_letters_by_age ON dead_letters (workspace_id, received_at);`,
  },
];

/**
 * Past this many things visited in one chunk it ends even if few rows were deleted, so a
 * workspace of many things with little to delete still yields to ingest often.
 */
const THINGS_PER_CHUNK = 500;

/** The retention periods and the deletion of expired rows, in the telemetry file. */
export class SqliteRetentionRepository implements RetentionRepository {
  private readonly sql;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = {
      period: db.prepare('SELECT days FROM retention_periods WHERE workspace_id = ?').pluck(),
      periods: db.prepare('SELECT workspace_id AS workspaceId, days FROM retention_periods ORDER BY workspace_id'),
      setPeriod: db.prepare(
        `INSERT INTO retention_periods (workspace_id, days, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (workspace_id) DO UPDATE SET days = excluded.days, updated_at = excluded.updated_at`,
      ),
      clearPeriod: db.prepare('DELETE FROM retention_periods WHERE workspace_id = ?'),
      // One seek of telemetry_by_thing per thing, rather than reading every row of the workspace.
      thingFrom: db.prepare('SELECT min(thing_name) FROM telemetry WHERE workspace_id = ? AND thing_name >= ?').pluck(),
      thingAfter: db.prepare('SELECT min(thing_name) FROM telemetry WHERE workspace_id = ? AND thing_name > ?').pluck(),
      // The table has no rowid: the oldest rows are picked by the index, then deleted by primary key.
      deleteTelemetry: db.prepare(
        `DELETE FROM telemetry WHERE (topic, epoch) IN (
           SELECT topic, epoch FROM telemetry WHERE workspace_id = ? AND thing_name = ? AND epoch < ?
           ORDER BY epoch LIMIT ?)`,
      ),
      // Only the oldest `limit` rows by seq are looked at, so a sweep with nothing to trim reads no
      // more than a chunk; receive times grow with seq, bar a clock stepped back, which delays a trim.
      deleteChanges: db.prepare(
        `DELETE FROM telemetry_changes WHERE seq IN (
           SELECT seq FROM telemetry_changes ORDER BY seq LIMIT ?) AND at < ?`,
      ),
      deleteDeadLetters: db.prepare(
        `DELETE FROM dead_letters WHERE id IN (
           SELECT id FROM dead_letters WHERE workspace_id = ? AND received_at < ? LIMIT ?)`,
      ),
    };
  }

  period(workspaceId: string): number | null {
    return (this.sql.period.get(workspaceId) as number | undefined) ?? null;
  }

  periods(): RetentionPeriod[] {
    return this.sql.periods.all() as RetentionPeriod[];
  }

  setPeriod(workspaceId: string, days: number | null, now: number): void {
    if (days === null) this.sql.clearPeriod.run(workspaceId);
    else this.sql.setPeriod.run(workspaceId, days, now);
  }

  /**
   * One transaction: up to `limit` rows of the workspace older than `before`, thing after thing
   * from `fromThing` on. `resumeAt` is the thing to start the next chunk at, absent when done.
   */
  deleteExpiredTelemetry(workspaceId: string, before: number, limit: number, fromThing = ''): ExpiredChunk {
    return this.db.transaction((): ExpiredChunk => {
      let deleted = 0;
      let thing = this.sql.thingFrom.get(workspaceId, fromThing) as string | null;
      for (let visited = 1; thing !== null; visited++) {
        deleted += this.sql.deleteTelemetry.run(workspaceId, thing, before, limit - deleted).changes;
        // The thing may still hold expired rows: the next chunk starts at it again.
        if (deleted >= limit) return { deleted, resumeAt: thing };
        thing = this.sql.thingAfter.get(workspaceId, thing) as string | null;
        if (visited >= THINGS_PER_CHUNK) return { deleted, resumeAt: thing ?? undefined };
      }
      return { deleted };
    })();
  }

  /** One transaction: of the `limit` oldest change-log rows, those logged before `before`. */
  deleteOldChanges(before: number, limit: number): number {
    return this.sql.deleteChanges.run(limit, before).changes;
  }

  /** One transaction: up to `limit` dead letters of the workspace received before `before`. */
  deleteExpiredDeadLetters(workspaceId: string, before: number, limit: number): number {
    return this.sql.deleteDeadLetters.run(workspaceId, before, limit).changes;
  }
}
