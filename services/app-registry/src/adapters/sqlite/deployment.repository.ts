import { AppHealthCheck, type DeploymentFollow } from '@citus/contracts';
import type { SqliteDatabase } from '@citus/sqlite';
import { AppError, notFound, type SecretCipher } from '@citus/kit';
import type { DeploymentInsert, DeploymentMove, DeploymentRecord, DeploymentRepository, StoredDeployment } from '../../domain/deployment.model.js';
import { DeploymentSecretsSealer, secretNamesOf } from './deployment-secrets.sealer.js';

interface DeploymentRow {
  deployment_id: string;
  workspace_id: string;
  workspace_slug: string;
  app_id: string;
  app_name: string;
  version: string;
  container_name: string;
  host_port: number;
  container_port: number | null;
  route_prefix: string;
  env: string;
  secret_env: string;
  created_at: number;
  created_by: string;
  created_by_name: string;
  follow: string;
  follow_tag: string | null;
  source_workspace_id: string | null;
  source_workspace_slug: string | null;
  api_key_id: string | null;
  api_key: string | null;
  health_check: string | null;
}

/** A row written before values were sealed (migration 5), in clear. */
interface PlainRow {
  deployment_id: string;
  secret_env: string;
  api_key_id: string | null;
  api_key: string | null;
}

const COLUMNS = `deployment_id, workspace_id, workspace_slug, app_id, app_name, version, container_name, host_port, container_port,
  route_prefix, env, secret_env, created_at, created_by, created_by_name, follow, follow_tag, source_workspace_id, source_workspace_slug, api_key_id, api_key, health_check`;
const INSERT_COLUMNS = `${COLUMNS}, sealed`;

/** A row as reads give it: its secrets' names and its key's id, their values left sealed. */
function toStored(row: DeploymentRow): StoredDeployment {
  return {
    deploymentId: row.deployment_id,
    workspaceId: row.workspace_id,
    workspaceSlug: row.workspace_slug,
    appId: row.app_id,
    appName: row.app_name,
    version: row.version,
    containerName: row.container_name,
    hostPort: row.host_port,
    ...(row.container_port === null ? {} : { containerPort: row.container_port }),
    routePrefix: row.route_prefix,
    env: JSON.parse(row.env) as Record<string, string>,
    secretNames: secretNamesOf(row.secret_env),
    createdAt: row.created_at,
    createdBy: { userId: row.created_by, username: row.created_by_name },
    follow: row.follow as DeploymentFollow,
    ...(row.follow_tag === null ? {} : { followTag: row.follow_tag }),
    ...(row.source_workspace_id === null || row.source_workspace_slug === null
      ? {}
      : { installedFrom: { workspaceId: row.source_workspace_id, workspaceSlug: row.source_workspace_slug } }),
    ...(row.api_key_id === null || row.api_key === null ? {} : { apiKeyId: row.api_key_id }),
    ...(row.health_check === null ? {} : { healthCheck: AppHealthCheck.parse(JSON.parse(row.health_check)) }),
  };
}

const healthCheckColumn = (check: AppHealthCheck | undefined): string | null => (check === undefined ? null : JSON.stringify(check));

/**
 * Deployments in `apps.db`, their secrets' values and API key sealed with `cipher` (see migration
 * 5). Rows the platform wrote in clear before are sealed when the repository is made, before any
 * read. Synchronous inside (better-sqlite3).
 */
export class SqliteDeploymentRepository implements DeploymentRepository {
  private readonly statements;
  private readonly sealer: DeploymentSecretsSealer;

  constructor(
    private readonly db: SqliteDatabase,
    cipher: SecretCipher,
  ) {
    this.sealer = new DeploymentSecretsSealer(cipher);
    this.sealPlainRows();
    this.statements = {
      insert: db.prepare(`INSERT INTO deployments (${INSERT_COLUMNS}) VALUES (@deploymentId, @workspaceId, @workspaceSlug, @appId, @appName,
        @version, @containerName, @hostPort, @containerPort, @routePrefix, @env, @secretEnv, @createdAt, @createdBy, @createdByName,
        @follow, @followTag, @sourceWorkspaceId, @sourceWorkspaceSlug, @apiKeyId, @apiKey, @healthCheck, 1)`),
      appTaken: db.prepare('SELECT 1 FROM deployments WHERE workspace_id = ? AND app_name = ?').pluck(),
      portTaken: db.prepare('SELECT 1 FROM deployments WHERE host_port = ?').pluck(),
      find: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? AND deployment_id = ?`),
      findByAppName: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? AND app_name = ?`),
      list: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? ORDER BY created_at, deployment_id`),
      listOfApp: db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE workspace_id = ? AND app_id = ? ORDER BY created_at, deployment_id`),
      delete: db.prepare('DELETE FROM deployments WHERE workspace_id = ? AND deployment_id = ?'),
      setFollow: db.prepare('UPDATE deployments SET follow = ?, follow_tag = ? WHERE workspace_id = ? AND deployment_id = ?'),
      portHeldByOther: db.prepare('SELECT 1 FROM deployments WHERE host_port = ? AND deployment_id <> ?').pluck(),
      setApiKey: db.prepare('UPDATE deployments SET api_key_id = ?, api_key = ? WHERE workspace_id = ? AND deployment_id = ?'),
      move: db.prepare(`UPDATE deployments SET version = @version, host_port = @hostPort, container_port = @containerPort, route_prefix = @routePrefix,
        health_check = @healthCheck WHERE workspace_id = @workspaceId AND deployment_id = @deploymentId`),
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
        followTag: deployment.followTag ?? null,
        containerPort: deployment.containerPort ?? null,
        sourceWorkspaceId: installedFrom?.workspaceId ?? null,
        sourceWorkspaceSlug: installedFrom?.workspaceSlug ?? null,
        healthCheck: healthCheckColumn(deployment.healthCheck),
        apiKeyId: apiKey?.keyId ?? null,
        apiKey: apiKey ? this.sealer.sealApiKey(deployment.deploymentId, apiKey) : null,
        env: JSON.stringify(deployment.env),
        secretEnv: this.sealer.sealSecrets(deployment.deploymentId, deployment.secrets),
        createdBy: deployment.createdBy.userId,
        createdByName: deployment.createdBy.username,
      });
      return 'inserted';
    })();
  }

  async find(workspaceId: string, deploymentId: string): Promise<StoredDeployment | undefined> {
    const row = this.statements.find.get(workspaceId, deploymentId) as DeploymentRow | undefined;
    return row && toStored(row);
  }

  async findByAppName(workspaceId: string, appName: string): Promise<StoredDeployment | undefined> {
    const row = this.statements.findByAppName.get(workspaceId, appName) as DeploymentRow | undefined;
    return row && toStored(row);
  }

  async list(workspaceId: string, appId?: string): Promise<StoredDeployment[]> {
    const rows = (appId === undefined ? this.statements.list.all(workspaceId) : this.statements.listOfApp.all(workspaceId, appId)) as DeploymentRow[];
    return rows.map(toStored);
  }

  async open(workspaceId: string, deploymentId: string): Promise<DeploymentRecord> {
    const row = this.statements.find.get(workspaceId, deploymentId) as DeploymentRow | undefined;
    if (!row) throw notFound('deployment');
    const { secretNames: _names, apiKeyId, ...stored } = toStored(row);
    try {
      const secrets = this.sealer.openSecrets(deploymentId, row.secret_env);
      if (apiKeyId === undefined || row.api_key === null) return { ...stored, secrets };
      return { ...stored, secrets, apiKey: { keyId: apiKeyId, key: this.sealer.openApiKey(deploymentId, apiKeyId, row.api_key) } };
    } catch {
      throw new AppError(
        'internal',
        `the secrets of deployment ${deploymentId} do not open: secrets.key in the data dir is not the key they were sealed with, or apps.db was changed`,
      );
    }
  }

  async setApiKey(workspaceId: string, deploymentId: string, apiKey: DeploymentRecord['apiKey']): Promise<boolean> {
    const sealed = apiKey ? this.sealer.sealApiKey(deploymentId, apiKey) : null;
    return this.statements.setApiKey.run(apiKey?.keyId ?? null, sealed, workspaceId, deploymentId).changes === 1;
  }

  async delete(workspaceId: string, deploymentId: string): Promise<boolean> {
    return this.statements.delete.run(workspaceId, deploymentId).changes === 1;
  }

  async setFollow(workspaceId: string, deploymentId: string, follow: DeploymentFollow, followTag?: string): Promise<boolean> {
    return this.statements.setFollow.run(follow, followTag ?? null, workspaceId, deploymentId).changes === 1;
  }

  async move(workspaceId: string, deploymentId: string, move: DeploymentMove): Promise<'moved' | 'port_taken' | 'missing'> {
    return this.db.transaction(() => {
      if (this.statements.portHeldByOther.get(move.hostPort, deploymentId) !== undefined) return 'port_taken';
      return this.statements.move.run({ ...move, containerPort: move.containerPort ?? null, healthCheck: healthCheckColumn(move.healthCheck), workspaceId, deploymentId }).changes === 1 ? 'moved' : 'missing';
    })();
  }

  /**
   * Seals the values of rows written in clear before migration 5. Clearing the rows leaves the old
   * values in the file (free space in pages, free pages) and in the WAL: VACUUM writes the file
   * anew from the live rows, and the checkpoint empties the WAL.
   */
  private sealPlainRows(): void {
    const rows = this.db.prepare('SELECT deployment_id, secret_env, api_key_id, api_key FROM deployments WHERE sealed = 0').all() as PlainRow[];
    if (rows.length === 0) return;
    const seal = this.db.prepare('UPDATE deployments SET secret_env = ?, api_key_id = ?, api_key = ?, sealed = 1 WHERE deployment_id = ?');
    this.db.transaction(() => {
      for (const row of rows) {
        const apiKey = row.api_key_id === null || row.api_key === null ? undefined : { keyId: row.api_key_id, key: row.api_key };
        const secretEnv = this.sealer.sealSecrets(row.deployment_id, JSON.parse(row.secret_env) as Record<string, string>);
        seal.run(secretEnv, apiKey?.keyId ?? null, apiKey ? this.sealer.sealApiKey(row.deployment_id, apiKey) : null, row.deployment_id);
      }
    })();
    this.db.exec('VACUUM');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
