import type { DeploymentFollow } from '@citus/contracts';
import type { SqliteDatabase } from '@citus/sqlite';
import type { DeploymentInsert, DeploymentMove, DeploymentRecord, DeploymentRepository } from '../../domain/deployment.model.js';

interface DeploymentRow {
  deployment_id: string;
  workspace_id: string;
  workspace_slug: string;
  app_id: string;
  app_name: string;
  version: string;
  container_name: string;
  host_port: number;
  route_prefix: string;
  env: string;
  secret_env: string;
  created_at: number;
  created_by: string;
  created_by_name: string;
  follow: string;
  source_workspace_id: string | null;
  source_workspace_slug: string | null;
  api_key_id: string | null;
  api_key: string | null;
}

const COLUMNS = `deployment_id, workspace_id, workspace_slug, app_id, app_name, version, container_name, host_port,
  route_prefix, env, secret_env, created_at, created_by, created_by_name, follow, source_workspace_id, source_workspace_slug, api_key_id, api_key`;

function toDeployment(row: DeploymentRow): DeploymentRecord {
  return {
    deploymentId: row.deployment_id,
    workspaceId: row.workspace_id,
    workspaceSlug: row.workspace_slug,
    appId: row.app_id,
    appName: row.app_name,
    version: row.version,
    containerName: row.container_name,
    hostPort: row.host_port,
    routePrefix: row.route_prefix,
    env: JSON.parse(row.env) as Record<string, string>,
    secrets: JSON.parse(row.secret_env) as Record<string, string>,
    createdAt: row.created_at,
    createdBy: { userId: row.created_by, username: row.created_by_name },
    follow: row.follow as DeploymentFollow,
    ...(row.source_workspace_id === null || row.source_workspace_slug === null
      ? {}
      : { installedFrom: { workspaceId: row.source_workspace_id, workspaceSlug: row.source_workspace_slug } }),
    ...(row.api_key_id === null || row.api_key === null ? {} : { apiKey: { keyId: row.api_key_id, key: row.api_key } }),
  };
}

/** Deployments in `apps.db` (see the migration for where secrets are kept). Synchronous inside (better-sqlite3). */
export class SqliteDeploymentRepository implements DeploymentRepository {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare(`INSERT INTO deployments (${COLUMNS}) VALUES (@deploymentId, @workspaceId, @workspaceSlug, @appId, @appName,
        @version, @containerName, @hostPort, @routePrefix, @env, @secretEnv, @createdAt, @createdBy, @createdByName,
        @follow, @sourceWorkspaceId, @sourceWorkspaceSlug, @apiKeyId, @apiKey)`),
      appTaken: db.prepare('SELECT 1 FROM deployments WHERE workspace_id = ? AND app_name = ?').pluck(),
      portTaken: db.prepare('SELECT 1 FROM deployments WHERE host_port = ?').pluck(),
      find: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? AND deployment_id = ?`),
      findByAppName: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? AND app_name = ?`),
      list: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? ORDER BY created_at, deployment_id`),
      listOfApp: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? AND app_id = ? ORDER BY created_at, deployment_id`),
      delete: db.prepare('DELETE FROM deployments WHERE workspace_id = ? AND deployment_id = ?'),
      setFollow: db.prepare('UPDATE deployments SET follow = ? WHERE workspace_id = ? AND deployment_id = ?'),
      portHeldByOther: db.prepare('SELECT 1 FROM deployments WHERE host_port = ? AND deployment_id <> ?').pluck(),
      move: db.prepare(`UPDATE deployments SET version = @version, host_port = @hostPort, route_prefix = @routePrefix
        WHERE workspace_id = @workspaceId AND deployment_id = @deploymentId`),
    };
  }

  async insert(deployment: DeploymentRecord): Promise<DeploymentInsert> {
    // In one transaction, so the checks still hold when the row goes in.
    return this.db.transaction((): DeploymentInsert => {
      if (this.statements.appTaken.get(deployment.workspaceId, deployment.appName) !== undefined) return 'app_taken';
      if (this.statements.portTaken.get(deployment.hostPort) !== undefined) return 'port_taken';
      const { secrets: _secrets, createdBy: _createdBy, installedFrom, apiKey, ...columns } = deployment;
      this.statements.insert.run({
        ...columns,
        follow: deployment.follow ?? 'pinned',
        sourceWorkspaceId: installedFrom?.workspaceId ?? null,
        sourceWorkspaceSlug: installedFrom?.workspaceSlug ?? null,
        apiKeyId: apiKey?.keyId ?? null,
        apiKey: apiKey?.key ?? null,
        env: JSON.stringify(deployment.env),
        secretEnv: JSON.stringify(deployment.secrets),
        createdBy: deployment.createdBy.userId,
        createdByName: deployment.createdBy.username,
      });
      return 'inserted';
    })();
  }

  async find(workspaceId: string, deploymentId: string): Promise<DeploymentRecord | undefined> {
    const row = this.statements.find.get(workspaceId, deploymentId) as DeploymentRow | undefined;
    return row && toDeployment(row);
  }

  async findByAppName(workspaceId: string, appName: string): Promise<DeploymentRecord | undefined> {
    const row = this.statements.findByAppName.get(workspaceId, appName) as DeploymentRow | undefined;
    return row && toDeployment(row);
  }

  async list(workspaceId: string, appId?: string): Promise<DeploymentRecord[]> {
    const rows = (appId === undefined ? this.statements.list.all(workspaceId) : this.statements.listOfApp.all(workspaceId, appId)) as DeploymentRow[];
    return rows.map(toDeployment);
  }

  async delete(workspaceId: string, deploymentId: string): Promise<boolean> {
    return this.statements.delete.run(workspaceId, deploymentId).changes === 1;
  }

  async setFollow(workspaceId: string, deploymentId: string, follow: DeploymentFollow): Promise<boolean> {
    return this.statements.setFollow.run(follow, workspaceId, deploymentId).changes === 1;
  }

  async move(workspaceId: string, deploymentId: string, move: DeploymentMove): Promise<'moved' | 'port_taken' | 'missing'> {
    return this.db.transaction(() => {
      if (this.statements.portHeldByOther.get(move.hostPort, deploymentId) !== undefined) return 'port_taken';
      return this.statements.move.run({ ...move, workspaceId, deploymentId }).changes === 1 ? 'moved' : 'missing';
    })();
  }
}
