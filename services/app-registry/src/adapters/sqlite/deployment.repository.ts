import type { SqliteDatabase } from '@citus/sqlite';
import type { DeploymentInsert, DeploymentRecord, DeploymentRepository } from '../../domain/deployment.model.js';

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
}

const COLUMNS = `deployment_id, workspace_id, workspace_slug, app_id, app_name, version, container_name, host_port,
  route_prefix, env, secret_env, created_at, created_by, created_by_name`;

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
  };
}

/** Deployments in `apps.db` (see the migration for where secrets are kept). Synchronous inside (better-sqlite3). */
export class SqliteDeploymentRepository implements DeploymentRepository {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare(`INSERT INTO deployments (${COLUMNS}) VALUES (@deploymentId, @workspaceId, @workspaceSlug, @appId, @appName,
        @version, @containerName, @hostPort, @routePrefix, @env, @secretEnv, @createdAt, @createdBy, @createdByName)`),
      appTaken: db.prepare('SELECT 1 FROM deployments WHERE workspace_id = ? AND app_name = ?').pluck(),
      portTaken: db.prepare('SELECT 1 FROM deployments WHERE host_port = ?').pluck(),
      find: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? AND deployment_id = ?`),
      findByAppName: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? AND app_name = ?`),
      list: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? ORDER BY created_at, deployment_id`),
      listOfApp: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? AND app_id = ? ORDER BY created_at, deployment_id`),
      delete: db.prepare('DELETE FROM deployments WHERE workspace_id = ? AND deployment_id = ?'),
    };
  }

  async insert(deployment: DeploymentRecord): Promise<DeploymentInsert> {
    // In one transaction, so the checks still hold when the row goes in.
    return this.db.transaction((): DeploymentInsert => {
      if (this.statements.appTaken.get(deployment.workspaceId, deployment.appName) !== undefined) return 'app_taken';
      if (this.statements.portTaken.get(deployment.hostPort) !== undefined) return 'port_taken';
      const { secrets: _secrets, createdBy: _createdBy, ...columns } = deployment;
      this.statements.insert.run({
        ...columns,
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
}
