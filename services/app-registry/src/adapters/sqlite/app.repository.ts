import type { AppManifest, AppVersionStatus } from '@citus/contracts';
import type { SqliteDatabase } from '@citus/sqlite';
import type {
  AppListItem,
  AppRecord,
  AppRepository,
  AppVersionRecord,
  AuditRecord,
  MarketplaceSearch,
  StatusChange,
  VersionOfApp,
} from '../../domain/app.model.js';

interface AppRow {
  app_id: string;
  workspace_id: string;
  workspace_slug: string;
  name: string;
  created_at: number;
  created_by: string;
  created_by_name: string;
  listed_version: string | null;
  auto_approve: number;
}

interface VersionRow {
  workspace_id: string;
  app_id: string;
  version: string;
  status: string;
  manifest: string;
  created_at: number;
  created_by: string;
  created_by_name: string;
  updated_at: number;
  rejection_reason: string | null;
}

interface AuditRow {
  app_id: string;
  version: string;
  from_status: string | null;
  to_status: string;
  actor_id: string;
  actor_name: string;
  at: number;
  reason: string | null;
}

const APP_COLUMNS =
  'a.app_id, a.workspace_id, a.workspace_slug, a.name, a.created_at, a.created_by, a.created_by_name, a.listed_version, a.auto_approve';
const VERSION_COLUMNS =
  'v.workspace_id, v.app_id, v.version, v.status, v.manifest, v.created_at, v.created_by, v.created_by_name, v.updated_at, v.rejection_reason';
/** Both tables' columns in one row, the version's under `v_` names. */
const JOINED_COLUMNS = `${APP_COLUMNS}, v.version AS v_version, v.status AS v_status, v.manifest AS v_manifest,
  v.created_at AS v_created_at, v.created_by AS v_created_by, v.created_by_name AS v_created_by_name,
  v.updated_at AS v_updated_at, v.rejection_reason AS v_rejection_reason`;

function toApp(row: AppRow): AppRecord {
  return {
    workspaceId: row.workspace_id,
    workspaceSlug: row.workspace_slug,
    appId: row.app_id,
    name: row.name,
    createdAt: row.created_at,
    createdBy: { userId: row.created_by, username: row.created_by_name },
    ...(row.listed_version === null ? {} : { listedVersion: row.listed_version }),
    autoApprove: row.auto_approve === 1,
  };
}

function toVersion(row: VersionRow): AppVersionRecord {
  return {
    workspaceId: row.workspace_id,
    appId: row.app_id,
    version: row.version,
    status: row.status as AppVersionStatus,
    manifest: JSON.parse(row.manifest) as AppManifest,
    createdAt: row.created_at,
    createdBy: { userId: row.created_by, username: row.created_by_name },
    updatedAt: row.updated_at,
    ...(row.rejection_reason === null ? {} : { rejectionReason: row.rejection_reason }),
  };
}

type JoinedRow = AppRow & { [K in keyof VersionRow as `v_${K & string}`]: VersionRow[K] };

function toVersionOfApp(row: JoinedRow): VersionOfApp {
  const version: VersionRow = {
    workspace_id: row.workspace_id,
    app_id: row.app_id,
    version: row.v_version,
    status: row.v_status,
    manifest: row.v_manifest,
    created_at: row.v_created_at,
    created_by: row.v_created_by,
    created_by_name: row.v_created_by_name,
    updated_at: row.v_updated_at,
    rejection_reason: row.v_rejection_reason,
  };
  return { app: toApp(row), version: toVersion(version) };
}

function toAudit(row: AuditRow): AuditRecord {
  return {
    appId: row.app_id,
    version: row.version,
    ...(row.from_status === null ? {} : { from: row.from_status as AppVersionStatus }),
    to: row.to_status as AppVersionStatus,
    actor: { userId: row.actor_id, username: row.actor_name },
    at: row.at,
    ...(row.reason === null ? {} : { reason: row.reason }),
  };
}

/** `%`, `_` and the escape itself match only themselves in the LIKE pattern. */
const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

/** Apps in `apps.db`. Synchronous inside (better-sqlite3); each write, with its audit entry, in one transaction. */
export class SqliteAppRepository implements AppRepository {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      insertApp: db.prepare(`INSERT INTO apps (app_id, workspace_id, workspace_slug, name, created_at, created_by, created_by_name, auto_approve)
        VALUES (@appId, @workspaceId, @workspaceSlug, @name, @createdAt, @createdBy, @createdByName, @autoApprove) ON CONFLICT DO NOTHING`),
      insertVersion: db.prepare(`INSERT INTO app_versions (workspace_id, app_id, version, seq, status, manifest, description, category,
          created_at, created_by, created_by_name, updated_at)
        SELECT @workspaceId, @appId, @version, coalesce(max(seq), 0) + 1, @status, @manifest, @description, @category,
          @createdAt, @createdBy, @createdByName, @updatedAt FROM app_versions WHERE app_id = @appId
        ON CONFLICT DO NOTHING`),
      insertAudit: db.prepare(`INSERT INTO app_audit (workspace_id, app_id, version, from_status, to_status, actor_id, actor_name, at, reason)
        VALUES (@workspaceId, @appId, @version, @from, @to, @actorId, @actorName, @at, @reason)`),
      findApp: db.prepare(`SELECT ${APP_COLUMNS} FROM apps a WHERE a.workspace_id = ? AND a.app_id = ?`),
      findAppForReview: db.prepare(`SELECT ${APP_COLUMNS} FROM apps a WHERE a.app_id = ?`),
      listApps: db.prepare(`SELECT ${APP_COLUMNS}, v.version AS latest_version, v.status AS latest_status FROM apps a
        JOIN app_versions v ON v.app_id = a.app_id
          AND v.seq = (SELECT max(seq) FROM app_versions WHERE app_id = a.app_id)
        WHERE a.workspace_id = ? ORDER BY a.name`),
      listVersions: db.prepare(`SELECT ${VERSION_COLUMNS} FROM app_versions v WHERE v.workspace_id = ? AND v.app_id = ? ORDER BY v.seq`),
      findVersion: db.prepare(`SELECT ${VERSION_COLUMNS} FROM app_versions v WHERE v.workspace_id = ? AND v.app_id = ? AND v.version = ?`),
      changeStatus: db.prepare(`UPDATE app_versions SET status = @to, updated_at = @at,
          rejection_reason = CASE WHEN @to = 'rejected' THEN @reason ELSE rejection_reason END
        WHERE workspace_id = @workspaceId AND app_id = @appId AND version = @version AND status = @from`),
      list: db.prepare(`UPDATE apps SET listed_version = ? WHERE workspace_id = ? AND app_id = ?`),
      auditTrail: db.prepare(`SELECT app_id, version, from_status, to_status, actor_id, actor_name, at, reason FROM app_audit
        WHERE workspace_id = ? AND app_id = ? ORDER BY id`),
      pendingReviews: db.prepare(`SELECT ${JOINED_COLUMNS} FROM app_versions v JOIN apps a ON a.app_id = v.app_id
        WHERE v.status = 'pending_review' ORDER BY v.updated_at, v.app_id, v.version LIMIT ?`),
      findListed: db.prepare(`SELECT ${JOINED_COLUMNS} FROM apps a JOIN app_versions v ON v.app_id = a.app_id AND v.version = a.listed_version
        WHERE a.app_id = ?`),
      setAutoApprove: db.prepare('UPDATE apps SET auto_approve = ? WHERE app_id = ?'),
    };
  }

  async insertApp(app: AppRecord, first: AppVersionRecord): Promise<boolean> {
    return this.db.transaction(() => {
      const inserted = this.statements.insertApp.run({
        appId: app.appId,
        workspaceId: app.workspaceId,
        workspaceSlug: app.workspaceSlug,
        name: app.name,
        createdAt: app.createdAt,
        createdBy: app.createdBy.userId,
        createdByName: app.createdBy.username,
        autoApprove: app.autoApprove ? 1 : 0,
      });
      if (inserted.changes !== 1) return false;
      // A new app has no version yet: failing here is a bug, and throwing undoes the app too.
      if (!this.insertVersionNow(first)) throw new Error(`app ${app.appId}: its first version was not stored`);
      return true;
    })();
  }

  async insertVersion(version: AppVersionRecord): Promise<boolean> {
    return this.db.transaction(() => this.insertVersionNow(version))();
  }

  async findApp(workspaceId: string, appId: string): Promise<AppRecord | undefined> {
    const row = this.statements.findApp.get(workspaceId, appId) as AppRow | undefined;
    return row && toApp(row);
  }

  async findAppForReview(appId: string): Promise<AppRecord | undefined> {
    const row = this.statements.findAppForReview.get(appId) as AppRow | undefined;
    return row && toApp(row);
  }

  async listApps(workspaceId: string): Promise<AppListItem[]> {
    const rows = this.statements.listApps.all(workspaceId) as Array<AppRow & { latest_version: string; latest_status: string }>;
    return rows.map((row) => ({ ...toApp(row), latest: { version: row.latest_version, status: row.latest_status as AppVersionStatus } }));
  }

  async listVersions(workspaceId: string, appId: string): Promise<AppVersionRecord[]> {
    return (this.statements.listVersions.all(workspaceId, appId) as VersionRow[]).map(toVersion);
  }

  async findVersion(workspaceId: string, appId: string, version: string): Promise<AppVersionRecord | undefined> {
    const row = this.statements.findVersion.get(workspaceId, appId, version) as VersionRow | undefined;
    return row && toVersion(row);
  }

  async changeStatus(change: StatusChange): Promise<boolean> {
    return this.db.transaction(() => {
      const { workspaceId, appId, version, from, to, at } = change;
      const reason = change.reason ?? null;
      if (this.statements.changeStatus.run({ workspaceId, appId, version, from, to, at, reason }).changes !== 1) return false;
      if (to === 'published') this.statements.list.run(version, workspaceId, appId);
      this.statements.insertAudit.run({ workspaceId, appId, version, from, to, actorId: change.actor.userId, actorName: change.actor.username, at, reason });
      return true;
    })();
  }

  async auditTrail(workspaceId: string, appId: string): Promise<AuditRecord[]> {
    return (this.statements.auditTrail.all(workspaceId, appId) as AuditRow[]).map(toAudit);
  }

  async pendingReviews(limit: number): Promise<VersionOfApp[]> {
    return (this.statements.pendingReviews.all(limit) as JoinedRow[]).map(toVersionOfApp);
  }

  async marketplace(search: MarketplaceSearch): Promise<VersionOfApp[]> {
    const where = ['a.listed_version IS NOT NULL'];
    const params: Record<string, string | number> = { limit: search.limit };
    if (search.text !== undefined) {
      where.push(`(a.name LIKE @text ESCAPE '\\' OR v.description LIKE @text ESCAPE '\\')`);
      params.text = likePattern(search.text);
    }
    if (search.category !== undefined) {
      where.push('v.category = @category');
      params.category = search.category;
    }
    if (search.after !== undefined) {
      where.push('(a.name > @afterName OR (a.name = @afterName AND a.app_id > @afterId))');
      params.afterName = search.after.name;
      params.afterId = search.after.appId;
    }
    const sql = `SELECT ${JOINED_COLUMNS} FROM apps a JOIN app_versions v ON v.app_id = a.app_id AND v.version = a.listed_version
      WHERE ${where.join(' AND ')} ORDER BY a.name, a.app_id LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as JoinedRow[]).map(toVersionOfApp);
  }

  async findListed(appId: string): Promise<VersionOfApp | undefined> {
    const row = this.statements.findListed.get(appId) as JoinedRow | undefined;
    return row && toVersionOfApp(row);
  }

  async setAutoApprove(appId: string, autoApprove: boolean): Promise<boolean> {
    return this.statements.setAutoApprove.run(autoApprove ? 1 : 0, appId).changes === 1;
  }

  private insertVersionNow(version: AppVersionRecord): boolean {
    const { workspaceId, appId, manifest } = version;
    const inserted = this.statements.insertVersion.run({
      workspaceId,
      appId,
      version: version.version,
      status: version.status,
      manifest: JSON.stringify(manifest),
      description: manifest.description,
      category: manifest.category,
      createdAt: version.createdAt,
      createdBy: version.createdBy.userId,
      createdByName: version.createdBy.username,
      updatedAt: version.updatedAt,
    });
    if (inserted.changes !== 1) return false;
    this.statements.insertAudit.run({
      workspaceId,
      appId,
      version: version.version,
      from: null,
      to: version.status,
      actorId: version.createdBy.userId,
      actorName: version.createdBy.username,
      at: version.createdAt,
      reason: null,
    });
    return true;
  }
}
