import type { Release } from '@citus/contracts';
import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type { ReleaseCompletion, ReleaseRecord, ReleaseRepository } from '../../domain/release.model.js';

export const RELEASE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE releases (
        workspace_id TEXT NOT NULL,
        release_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        version TEXT NOT NULL,
        created_at TEXT NOT NULL,
        -- The rest of the release as JSON: notes, image, hash, size, signature, readiness.
        body TEXT NOT NULL,
        -- awaiting-artifact, uploading (claimed by one upload; shown as awaiting-artifact) or ready.
        status TEXT NOT NULL,
        blob_key TEXT,
        PRIMARY KEY (workspace_id, release_id),
        UNIQUE (workspace_id, kind, version)
      ) WITHOUT ROWID;
      CREATE INDEX releases_by_age ON releases (workspace_id, created_at);`,
  },
];

interface Row {
  workspace_id: string;
  body: string;
  blob_key: string | null;
}

const recordOf = (row: Row): ReleaseRecord => ({
  ...(JSON.parse(row.body) as Release),
  workspaceId: row.workspace_id,
  ...(row.blob_key === null ? {} : { blobKey: row.blob_key }),
});

/** Releases in `releases.db`. */
export class SqliteReleaseRepository implements ReleaseRepository {
  private readonly sql;

  constructor(db: SqliteDatabase) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO releases (workspace_id, release_id, kind, version, created_at, body, status, blob_key)
         VALUES (@workspaceId, @releaseId, @kind, @version, @createdAt, @body, @status, @blobKey)`,
      ),
      get: db.prepare('SELECT workspace_id, body, blob_key FROM releases WHERE workspace_id = ? AND release_id = ?'),
      list: db.prepare('SELECT workspace_id, body, blob_key FROM releases WHERE workspace_id = ? ORDER BY created_at DESC, release_id DESC'),
      complete: db.prepare(
        `UPDATE releases SET status = 'ready', body = @body, blob_key = @blobKey
         WHERE workspace_id = @workspaceId AND release_id = @releaseId AND status = 'uploading'`,
      ),
      claim: db.prepare(`UPDATE releases SET status = 'uploading' WHERE workspace_id = ? AND release_id = ? AND status = 'awaiting-artifact'`),
      unclaim: db.prepare(`UPDATE releases SET status = 'awaiting-artifact' WHERE workspace_id = ? AND release_id = ? AND status = 'uploading'`),
      unclaimAll: db.prepare(`UPDATE releases SET status = 'awaiting-artifact' WHERE status = 'uploading'`),
    };
  }

  insert(release: ReleaseRecord): void {
    const { workspaceId, blobKey, ...body } = release;
    this.sql.insert.run({ workspaceId, releaseId: release.releaseId, kind: release.kind, version: release.version, createdAt: release.createdAt, body: JSON.stringify(body), status: release.status, blobKey: blobKey ?? null });
  }

  get(workspaceId: string, releaseId: string): ReleaseRecord | undefined {
    const row = this.sql.get.get(workspaceId, releaseId) as Row | undefined;
    return row && recordOf(row);
  }

  list(workspaceId: string): ReleaseRecord[] {
    return (this.sql.list.all(workspaceId) as Row[]).map(recordOf);
  }

  claimUpload(workspaceId: string, releaseId: string): boolean {
    return this.sql.claim.run(workspaceId, releaseId).changes === 1;
  }

  releaseUpload(workspaceId: string, releaseId: string): void {
    this.sql.unclaim.run(workspaceId, releaseId);
  }

  releaseAbandonedUploads(): number {
    return this.sql.unclaimAll.run().changes;
  }

  complete(workspaceId: string, releaseId: string, completion: ReleaseCompletion): boolean {
    const current = this.get(workspaceId, releaseId);
    if (!current) return false;
    const { workspaceId: _workspaceId, blobKey: _blobKey, ...body } = current;
    const { blobKey, ...rest } = completion;
    const ready = { ...body, ...rest, status: 'ready' as const };
    return this.sql.complete.run({ workspaceId, releaseId, blobKey, body: JSON.stringify(ready) }).changes === 1;
  }
}
