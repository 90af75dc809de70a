import type { Release, ReleaseEventType, ReleaseHistoryEvent } from '@citus/contracts';
import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type { ReleaseCompletion, ReleaseEventRecord, ReleaseRecord, ReleaseRepository } from '../../domain/release.model.js';

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
  {
    version: 2,
    sql: `
      -- A release's history: created, failed uploads, ready, and each device's download.
      CREATE TABLE release_events (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL,
        release_id TEXT NOT NULL,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        actor TEXT,
        thing_name TEXT,
        detail TEXT
      );
      CREATE INDEX release_events_of_release ON release_events (workspace_id, release_id, sequence);`,
  },
  {
    version: 3,
    sql: `
      -- Releases made before histories were kept get theirs from what the release itself says.
      INSERT INTO release_events (workspace_id, release_id, at, type, detail)
        SELECT workspace_id, release_id, created_at, 'release.created', kind || ' ' || version FROM releases r
        WHERE NOT EXISTS (SELECT 1 FROM release_events e WHERE e.workspace_id = r.workspace_id AND e.release_id = r.release_id)
        ORDER BY created_at;
      INSERT INTO release_events (workspace_id, release_id, at, type, detail)
        SELECT workspace_id, release_id, json_extract(body, '$.readyAt'), 'release.ready', 'signed with key ' || json_extract(body, '$.signature.keyId') FROM releases r
        WHERE status = 'ready' AND NOT EXISTS (SELECT 1 FROM release_events e WHERE e.workspace_id = r.workspace_id AND e.release_id = r.release_id AND e.type = 'release.ready')
        ORDER BY json_extract(body, '$.readyAt');
      CREATE INDEX release_downloads ON release_events (workspace_id, release_id, thing_name) WHERE type = 'release.downloaded';`,
  },
];

interface EventRow {
  sequence: number;
  workspace_id: string;
  release_id: string;
  at: string;
  type: string;
  actor: string | null;
  thing_name: string | null;
  detail: string | null;
}

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

  constructor(private readonly db: SqliteDatabase) {
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
      appendEvent: db.prepare(
        `INSERT INTO release_events (workspace_id, release_id, at, type, actor, thing_name, detail)
         VALUES (@workspaceId, @releaseId, @at, @type, @actor, @thingName, @detail)`,
      ),
      firstDownload: db.prepare(
        `INSERT INTO release_events (workspace_id, release_id, at, type, actor, thing_name, detail)
         SELECT @workspaceId, @releaseId, @at, @type, @actor, @thingName, @detail
         WHERE NOT EXISTS (SELECT 1 FROM release_events WHERE workspace_id = @workspaceId AND release_id = @releaseId
           AND type = 'release.downloaded' AND thing_name = @thingName)`,
      ),
      // On the UNIQUE (workspace_id, kind, version) index: one row at most.
      hasVersion: db.prepare('SELECT 1 FROM releases WHERE workspace_id = ? AND kind = ? AND version = ?').pluck(),
      eventsOf: db.prepare('SELECT * FROM release_events WHERE workspace_id = ? AND release_id = ? AND sequence > ? ORDER BY sequence LIMIT ?'),
    };
  }

  insert(release: ReleaseRecord, events: ReleaseEventRecord[]): void {
    const { workspaceId, blobKey, ...body } = release;
    this.db.transaction(() => {
      this.sql.insert.run({ workspaceId, releaseId: release.releaseId, kind: release.kind, version: release.version, createdAt: release.createdAt, body: JSON.stringify(body), status: release.status, blobKey: blobKey ?? null });
      for (const event of events) this.appendEvent(event);
    })();
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

  appendEvent(event: ReleaseEventRecord): void {
    this.sql.appendEvent.run({ actor: null, thingName: null, detail: null, ...event });
  }

  recordFirstDownload(event: ReleaseEventRecord & { thingName: string }): void {
    this.sql.firstDownload.run({ actor: null, detail: null, ...event });
  }

  eventsOf(workspaceId: string, releaseId: string, after: number, limit: number): ReleaseHistoryEvent[] {
    return (this.sql.eventsOf.all(workspaceId, releaseId, after, limit) as EventRow[]).map((row) => ({
      sequence: row.sequence,
      at: row.at,
      type: row.type as ReleaseEventType,
      ...(row.actor === null ? {} : { actor: row.actor }),
      ...(row.thing_name === null ? {} : { thingName: row.thing_name }),
      ...(row.detail === null ? {} : { detail: row.detail }),
    }));
  }

  hasVersion(workspaceId: string, kind: Release['kind'], version: string): boolean {
    return this.sql.hasVersion.get(workspaceId, kind, version) !== undefined;
  }

  complete(workspaceId: string, releaseId: string, completion: ReleaseCompletion, event: ReleaseEventRecord): boolean {
    return this.db.transaction(() => {
      const current = this.get(workspaceId, releaseId);
      if (!current) return false;
      const { workspaceId: _workspaceId, blobKey: _blobKey, ...body } = current;
      const { blobKey, ...rest } = completion;
      const ready = { ...body, ...rest, status: 'ready' as const };
      if (this.sql.complete.run({ workspaceId, releaseId, blobKey, body: JSON.stringify(ready) }).changes !== 1) return false;
      this.appendEvent(event);
      return true;
    })();
  }
}
