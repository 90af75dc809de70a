import type { Migration, SqliteDatabase, SqliteStatement } from '@citus/sqlite';
import type { ConnectivityRecord, ConnectivityRepository, DisconnectReason } from '../../domain/presence.model.js';

export const CONNECTIVITY_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE connectivity (
      client_id TEXT PRIMARY KEY,
      workspace_id TEXT NOT NULL,
      connected INTEGER NOT NULL,
      timestamp INTEGER NOT NULL,
      disconnect_reason TEXT,
      version_number INTEGER NOT NULL
    ) STRICT`,
  },
];

interface Row {
  client_id: string;
  workspace_id: string;
  connected: number;
  timestamp: number;
  disconnect_reason: string | null;
  version_number: number;
}

/** Connectivity in SQLite; one row per client id, overwritten on every connect and disconnect. */
export class SqliteConnectivityRepository implements ConnectivityRepository {
  private readonly select: SqliteStatement;
  private readonly upsert: SqliteStatement;
  private readonly remove: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.select = db.prepare('SELECT * FROM connectivity WHERE client_id = ?');
    this.remove = db.prepare('DELETE FROM connectivity WHERE client_id = ? AND workspace_id = ?');
    this.upsert = db.prepare(`INSERT INTO connectivity (client_id, workspace_id, connected, timestamp, disconnect_reason, version_number)
      VALUES (@clientId, @workspaceId, @connected, @timestamp, @reason, @versionNumber)
      ON CONFLICT (client_id) DO UPDATE SET workspace_id = excluded.workspace_id, connected = excluded.connected,
        timestamp = excluded.timestamp, disconnect_reason = excluded.disconnect_reason, version_number = excluded.version_number`);
  }

  get(clientId: string): ConnectivityRecord | undefined {
    const row = this.select.get(clientId) as Row | undefined;
    if (!row) return undefined;
    return {
      clientId: row.client_id,
      workspaceId: row.workspace_id,
      connected: row.connected === 1,
      timestamp: row.timestamp,
      ...(row.disconnect_reason ? { disconnectReason: row.disconnect_reason as DisconnectReason } : {}),
      versionNumber: row.version_number,
    };
  }

  save(record: ConnectivityRecord): void {
    this.upsert.run({
      clientId: record.clientId,
      workspaceId: record.workspaceId,
      connected: record.connected ? 1 : 0,
      timestamp: record.timestamp,
      reason: record.disconnectReason ?? null,
      versionNumber: record.versionNumber,
    });
  }

  delete(workspaceId: string, clientId: string): boolean {
    return this.remove.run(clientId, workspaceId).changes === 1;
  }
}
