import type { SqliteDatabase } from '@citus/sqlite';
import type { SecretRepository, StoredSecret } from '../../domain/secret.port.js';

interface SecretRow {
  workspace_id: string;
  name: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  created_at: number;
  updated_at: number;
}

const toSecret = (row: SecretRow): StoredSecret => ({
  workspaceId: row.workspace_id,
  name: row.name,
  sealed: { nonce: row.nonce, ciphertext: row.ciphertext, tag: row.tag },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Sealed workspace secrets in `alerts.db`. */
export class SqliteSecretRepository implements SecretRepository {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    this.statements = {
      upsert: db.prepare(`INSERT INTO secrets (workspace_id, name, nonce, ciphertext, tag, created_at, updated_at)
        VALUES (@workspaceId, @name, @nonce, @ciphertext, @tag, @createdAt, @updatedAt)
        ON CONFLICT (workspace_id, name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext,
          tag = excluded.tag, updated_at = excluded.updated_at
        RETURNING *`),
      find: db.prepare('SELECT * FROM secrets WHERE workspace_id = ? AND name = ?'),
      list: db.prepare('SELECT * FROM secrets WHERE workspace_id = ? ORDER BY name'),
      delete: db.prepare('DELETE FROM secrets WHERE workspace_id = ? AND name = ?'),
    };
  }

  async put(secret: StoredSecret): Promise<StoredSecret> {
    const { workspaceId, name, sealed, createdAt, updatedAt } = secret;
    return toSecret(this.statements.upsert.get({ workspaceId, name, ...sealed, createdAt, updatedAt }) as SecretRow);
  }

  async find(workspaceId: string, name: string): Promise<StoredSecret | undefined> {
    const row = this.statements.find.get(workspaceId, name) as SecretRow | undefined;
    return row && toSecret(row);
  }

  async list(workspaceId: string): Promise<StoredSecret[]> {
    return (this.statements.list.all(workspaceId) as SecretRow[]).map(toSecret);
  }

  async delete(workspaceId: string, name: string): Promise<boolean> {
    return this.statements.delete.run(workspaceId, name).changes > 0;
  }
}
