import type { ApiKeyScope } from '@citus/contracts';
import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type { ApiKeyRecord, ApiKeyRepository, ApiKeyWithWorkspace } from '../../domain/api-key.model.js';

/** identity.db's version 2: API keys, gone with their workspace. */
export const API_KEY_MIGRATION: Migration = {
  version: 2,
  sql: `
    CREATE TABLE api_keys (
      id TEXT PRIMARY KEY,
      workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      scopes TEXT NOT NULL,
      secret_hash BLOB NOT NULL,
      created_by TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT,
      revoked_at TEXT
    );
    CREATE INDEX api_keys_by_workspace ON api_keys (workspace_id, created_at);`,
};

interface ApiKeyRow {
  id: string;
  workspace_id: string;
  workspace_slug?: string;
  name: string;
  scopes: string;
  secret_hash: Buffer;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

const toRecord = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  workspaceId: row.workspace_id,
  name: row.name,
  scopes: JSON.parse(row.scopes) as ApiKeyScope[],
  secretHash: row.secret_hash,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

export class SqliteApiKeyRepository implements ApiKeyRepository {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO api_keys (id, workspace_id, name, scopes, secret_hash, created_by, created_at, expires_at, revoked_at)
         VALUES (@id, @workspaceId, @name, @scopes, @secretHash, @createdBy, @createdAt, @expiresAt, @revokedAt)`,
      ),
      find: db.prepare(
        `SELECT k.*, w.slug AS workspace_slug FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id WHERE k.id = ?`,
      ),
      byWorkspace: db.prepare('SELECT * FROM api_keys WHERE workspace_id = ? ORDER BY created_at, id'),
      revoke: db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?'),
    };
  }

  insert(key: ApiKeyRecord): 'inserted' | 'no_such_workspace' {
    try {
      this.statements.insert.run({ ...key, scopes: JSON.stringify(key.scopes) });
      return 'inserted';
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'no_such_workspace';
      throw error;
    }
  }

  find(id: string): ApiKeyWithWorkspace | undefined {
    const row = this.statements.find.get(id) as ApiKeyRow | undefined;
    return row && { ...toRecord(row), workspaceSlug: row.workspace_slug as string };
  }

  listByWorkspace(workspaceId: string): ApiKeyRecord[] {
    return (this.statements.byWorkspace.all(workspaceId) as ApiKeyRow[]).map(toRecord);
  }

  revoke(id: string, at: string): boolean {
    return this.statements.revoke.run(at, id).changes > 0;
  }
}
