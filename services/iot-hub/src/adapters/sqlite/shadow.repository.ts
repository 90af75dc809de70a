import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type { ShadowContent, ShadowKey, ShadowRepository, ShadowWrite, StoredShadow } from '../../domain/shadow/shadow.model.js';

export const SHADOW_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      -- One row per shadow ('' names the classic one). A deleted shadow keeps its row with no
      -- document, so a new shadow of the same name continues its version counter.
      CREATE TABLE shadows (
        workspace_id TEXT NOT NULL,
        thing_name TEXT NOT NULL,
        shadow_name TEXT NOT NULL,
        version INTEGER NOT NULL,
        -- {state, metadata} as JSON; NULL once deleted.
        document TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, thing_name, shadow_name)
      ) WITHOUT ROWID;`,
  },
];

interface ShadowRow {
  version: number;
  document: string | null;
}

/**
 * Device Shadows in a SQLite file (`shadows.db`), on the caller's thread. The hub reads through it
 * and writes through `ThreadedShadowStore`, whose thread runs one of these on its own connection.
 */
export class SqliteShadowRepository implements ShadowRepository {
  private readonly sql;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = {
      load: db.prepare('SELECT version, document FROM shadows WHERE workspace_id = ? AND thing_name = ? AND shadow_name = ?'),
      deleteThing: db.prepare('DELETE FROM shadows WHERE workspace_id = ? AND thing_name = ?'),
      upsert: db.prepare(
        `INSERT INTO shadows (workspace_id, thing_name, shadow_name, version, document, updated_at)
         VALUES (@workspaceId, @thingName, @shadowName, @version, @document, @updatedAt)
         ON CONFLICT (workspace_id, thing_name, shadow_name)
         DO UPDATE SET version = excluded.version, document = excluded.document, updated_at = excluded.updated_at`,
      ),
    };
  }

  load(key: ShadowKey): StoredShadow | undefined {
    const row = this.sql.load.get(key.workspaceId, key.thingName, key.shadowName) as ShadowRow | undefined;
    if (!row) return undefined;
    return row.document === null ? { version: row.version } : { version: row.version, content: JSON.parse(row.document) as ShadowContent };
  }

  async deleteThing(workspaceId: string, thingName: string): Promise<number> {
    return this.sql.deleteThing.run(workspaceId, thingName).changes;
  }

  async write(writes: ShadowWrite[]): Promise<void> {
    // Only the last write of each shadow in a batch matters: the rest would be overwritten in the same transaction.
    const last = new Map<string, ShadowWrite>();
    for (const write of writes) last.set(`${write.workspaceId}\u0000${write.thingName}\u0000${write.shadowName}`, write);
    this.db.transaction(() => {
      for (const write of last.values()) {
        this.sql.upsert.run({
          workspaceId: write.workspaceId,
          thingName: write.thingName,
          shadowName: write.shadowName,
          version: write.version,
          document: write.content ? JSON.stringify(write.content) : null,
          updatedAt: write.updatedAt,
        });
      }
    })();
  }
}
