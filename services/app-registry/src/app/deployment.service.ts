import type { CreateDeploymentRequest, Deployment, DeploymentEnv, DeploymentFollow, DeploymentList, RedeployOutcome } from '@citus/contracts';
import { AppError, conflict, newId, notFound, type AppKeyIssuer } from '@citus/kit';
import type { Actor, AppVersionRecord } from '../domain/app.model.js';
import { RuntimeError, type ContainerRuntime, type Endpoint, type LogOptions } from '../domain/container-runtime.port.js';
import { storedForm, type DeploymentRecord, type DeploymentRepository, type HostPortAllocator, type StoredDeployment } from '../domain/deployment.model.js';
import type { AppCatalogService, WorkspaceRef } from './app-catalog.service.js';
import type { DeploymentHealth } from './deployment-health.js';
import { containerNameOf, containerPortOf, containerSpecFor, deploymentVariables } from './deployment-spec.js';
import { deploymentView, type ViewStatus } from './deployment.views.js';
import { runtimeCall, toAppError } from './runtime-errors.js';

/** Ports the OS hands out can be held by a stopped deployment: a few draws find one that is not. */
const PORT_ATTEMPTS = 5;

/** Where the reverse proxy sends one request to `/apps/{workspace}/{app}/...`: a replica, and the app's route prefix. */
export interface DeploymentRoute {
  endpoint: Endpoint;
  routePrefix: string;
}

/**
 * Deployments of a workspace's approved app versions (issue 7 point 3): stored first, then started,
 * so a deployment the engine runs is always one the platform knows; the engine is asked for every
 * status. Every call is scoped to one workspace; another's deployment answers not found.
 */
export class DeploymentService {
  /** Whose turn it is among each deployment's replicas (by container name), for the proxy. */
  private readonly turns = new Map<string, number>();

  constructor(
    private readonly catalog: AppCatalogService,
    private readonly repository: DeploymentRepository,
    private readonly runtime: ContainerRuntime,
    private readonly ports: HostPortAllocator,
    private readonly now: () => number = Date.now,
    /** Issues each deployment its own API key; without it (no portal), deployments get none. */
    private readonly keys?: AppKeyIssuer,
    /** Runs the manifests' health checks; without it, nothing is checked. */
    private readonly health?: DeploymentHealth,
  ) {}

  async deploy(workspace: WorkspaceRef, appId: string, actor: Actor, request: CreateDeploymentRequest): Promise<Deployment> {
    const version = await this.catalog.deployableVersion(workspace.id, appId, request.version);
    return this.launch(workspace, version, actor, { env: request.env, follow: request.follow, ...(request.followTag === undefined ? {} : { followTag: request.followTag }) });
  }

  /** Stores and starts a deployment of `version`, which the caller checked may run in `workspace`. */
  async launch(workspace: WorkspaceRef, version: AppVersionRecord, actor: Actor, options: LaunchOptions): Promise<Deployment> {
    const { manifest } = version;
    const deploymentId = newId('dep');
    const record: DeploymentRecord = {
      deploymentId,
      workspaceId: workspace.id,
      workspaceSlug: workspace.slug,
      appId: version.appId,
      appName: manifest.name,
      version: version.version,
      containerName: containerNameOf(deploymentId),
      hostPort: 0,
      ...(manifest.port.containerPort === undefined ? {} : { containerPort: manifest.port.containerPort }),
      routePrefix: manifest.routePrefix,
      ...deploymentVariables(manifest, options.env),
      follow: options.follow,
      ...(options.followTag === undefined ? {} : { followTag: options.followTag }),
      ...(options.installedFrom === undefined ? {} : { installedFrom: options.installedFrom }),
      healthCheck: manifest.healthCheck,
      createdAt: this.now(),
      createdBy: actor,
    };
    const apiKey = await this.issueKey(record, version);
    if (apiKey) record.apiKey = apiKey;
    try {
      await this.store(record);
    } catch (error) {
      await this.revokeKey(record.apiKey?.keyId);
      throw error;
    }
    try {
      await this.runtime.deploy(containerSpecFor(record, manifest));
    } catch (error) {
      await this.repository.delete(workspace.id, deploymentId);
      await this.revokeKey(record.apiKey?.keyId);
      throw deployError(error, manifest.image);
    }
    return deploymentView(storedForm(record), await this.runtimeStatus(record, 'started'));
  }

  /** Probes of a list run together: each waits at most the view's short timeout. */
  async list(workspaceId: string, appId?: string): Promise<DeploymentList> {
    const records = await this.repository.list(workspaceId, appId);
    return { items: await Promise.all(records.map(async (record) => deploymentView(record, await this.runtimeStatus(record)))) };
  }

  async get(workspaceId: string, deploymentId: string): Promise<Deployment> {
    const record = await this.find(workspaceId, deploymentId);
    return deploymentView(record, await this.runtimeStatus(record));
  }

  /** Its output as text lines; `follow` keeps them coming until the caller stops reading. */
  async logs(workspaceId: string, deploymentId: string, options: LogOptions): Promise<AsyncIterable<string>> {
    const record = await this.find(workspaceId, deploymentId);
    // Asked first so an engine that does not answer is a 503 before the response starts, not a broken stream.
    await runtimeCall(() => this.runtime.status(record.containerName));
    return this.runtime.logs(record.containerName, options);
  }

  /** An installed app follows only what its publisher lists, so it cannot follow new versions. */
  async update(workspaceId: string, deploymentId: string, follow: DeploymentFollow, followTag?: string): Promise<Deployment> {
    const record = await this.find(workspaceId, deploymentId);
    if (follow === 'tag' && record.installedFrom) {
      throw conflict(`an installed app runs the version ${record.installedFrom.workspaceSlug} publishes: it cannot follow new versions`);
    }
    if (!(await this.repository.setFollow(workspaceId, deploymentId, follow, followTag))) throw notFound('deployment');
    const { followTag: _before, ...rest } = record;
    return deploymentView({ ...rest, follow, ...(followTag === undefined ? {} : { followTag }) }, await this.runtimeStatus(record));
  }

  /**
   * Runs `to` in place of the deployment's version: its container is removed, then one of `to` is
   * started on the same port if nothing took it meanwhile, with a new API key holding the scopes
   * `to` asks for; the old key is revoked once `to` runs and answers its health check. If `to`
   * cannot start or never answers its check, `from` (its old version) is started again with its old
   * key and the new key is revoked, so a bad push leaves the app as it was. Never throws: the outcome says.
   */
  async replace(stored: StoredDeployment, from: AppVersionRecord | undefined, to: AppVersionRecord): Promise<RedeployOutcome> {
    const outcome = { deploymentId: stored.deploymentId, from: stored.version, to: to.version };
    let record: DeploymentRecord;
    let newKey: ApiKey | undefined;
    try {
      // Before anything stops: a deployment whose values do not open, or that gets no key, runs on as it is.
      record = await this.repository.open(stored.workspaceId, stored.deploymentId);
      newKey = await this.issueKey(record, to);
    } catch (error) {
      return { ...outcome, outcome: 'failed', detail: messageOf(toAppError(error)) };
    }
    const failure = await this.startVersion(record, from, to, newKey);
    if (failure !== undefined) {
      return { ...outcome, outcome: 'failed', detail: `${failure}${await this.revokeReporting(newKey, 'the new version')}` };
    }
    const retired = newKey ? await this.revokeReporting(record.apiKey, `version ${record.version}`) : '';
    return { ...outcome, outcome: 'redeployed', ...(retired === '' ? {} : { detail: `running version ${to.version}${retired}` }) };
  }

  /** Starts `to` with `newKey` (the old key without one) and waits for its health; on a failure, what happened, rolled back as far as it goes. */
  private async startVersion(record: DeploymentRecord, from: AppVersionRecord | undefined, to: AppVersionRecord, newKey: ApiKey | undefined): Promise<string | undefined> {
    try {
      await runtimeCall(() => this.runtime.remove(record.containerName));
      const moved = await this.moveTo(record, to);
      // Stored before the start, so a container of this version restarted later gets the key it started with.
      if (newKey) await this.repository.setApiKey(record.workspaceId, record.deploymentId, newKey);
      try {
        await this.runtime.deploy(containerSpecFor({ ...moved, ...(newKey ? { apiKey: newKey } : {}) }, to.manifest));
      } catch (error) {
        return await this.rollBack(record, from, messageOf(deployError(error, to.manifest.image)));
      }
      const unhealthy = await this.health?.waitUntilHealthy(this.endpointsOf(moved), to.manifest.healthCheck);
      return unhealthy === undefined ? undefined : await this.rollBack(record, from, unhealthy);
    } catch (error) {
      return messageOf(error);
    }
  }

  /** A new key for a deployment of `version`, with the scopes its manifest asks for; none without an issuer (no portal). */
  private async issueKey(record: DeploymentRecord, version: AppVersionRecord): Promise<ApiKey | undefined> {
    const { manifest } = version;
    return this.keys?.issueAppKey({
      workspaceId: record.workspaceId,
      scopes: manifest.scopes,
      label: `app ${manifest.name} ${version.version} (${record.deploymentId})`,
    });
  }

  /** Revokes `key`, which nothing runs with; a failure is told (the key stays valid), not thrown. */
  private async revokeReporting(key: ApiKey | undefined, whose: string): Promise<string> {
    try {
      await this.revokeKey(key?.keyId);
      return '';
    } catch (error) {
      return `; the API key of ${whose} (${key?.keyId}) could not be revoked: ${messageOf(toAppError(error))}`;
    }
  }

  async restart(workspaceId: string, deploymentId: string): Promise<Deployment> {
    return this.act(workspaceId, deploymentId, (name) => this.runtime.restart(name));
  }

  async stop(workspaceId: string, deploymentId: string): Promise<Deployment> {
    return this.act(workspaceId, deploymentId, (name) => this.runtime.stop(name));
  }

  async scale(workspaceId: string, deploymentId: string, replicas: number): Promise<Deployment> {
    return this.act(workspaceId, deploymentId, (name) => this.runtime.scale(name, replicas));
  }

  /** The engine's container goes first: if it cannot be removed, the deployment stays to try again. */
  async remove(workspaceId: string, deploymentId: string): Promise<void> {
    const record = await this.find(workspaceId, deploymentId);
    await runtimeCall(() => this.runtime.remove(record.containerName));
    this.turns.delete(record.containerName);
    await this.repository.delete(workspaceId, deploymentId);
    await this.revokeKey(record.apiKeyId);
  }

  private async revokeKey(keyId: string | undefined): Promise<void> {
    if (keyId !== undefined) await this.keys?.revokeAppKey(keyId);
  }

  /** For the reverse proxy: the workspace's deployment of the app named so, and the replica this request goes to (in turn). */
  async route(workspaceId: string, appName: string): Promise<DeploymentRoute> {
    const record = await this.repository.findByAppName(workspaceId, appName);
    if (!record) throw notFound('app deployment');
    const endpoints = await runtimeCall(this.endpointsOf(record));
    if (endpoints.length === 0) {
      this.turns.delete(record.containerName);
      throw new AppError('unavailable', 'the app has no replica running: it may be stopped, starting or failing');
    }
    const turn = ((this.turns.get(record.containerName) ?? -1) + 1) % endpoints.length;
    this.turns.set(record.containerName, turn);
    return { endpoint: endpoints[turn] as Endpoint, routePrefix: record.routePrefix };
  }

  private endpointsOf(record: Pick<StoredDeployment, 'containerName' | 'hostPort' | 'containerPort'>): () => Promise<Endpoint[]> {
    return () => this.runtime.endpoints(record.containerName, { hostPort: record.hostPort, containerPort: containerPortOf(record) });
  }

  private async act(workspaceId: string, deploymentId: string, action: (name: string) => Promise<void>): Promise<Deployment> {
    const record = await this.find(workspaceId, deploymentId);
    await runtimeCall(() => action(record.containerName));
    return deploymentView(record, await this.runtimeStatus(record, 'started'));
  }

  private async find(workspaceId: string, deploymentId: string): Promise<StoredDeployment> {
    const record = await this.repository.find(workspaceId, deploymentId);
    if (!record) throw notFound('deployment');
    return record;
  }

  /** Claims the app's name in the workspace and a free port, which `record` gets. */
  private async store(record: DeploymentRecord): Promise<void> {
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
      record.hostPort = await this.ports.allocate();
      const inserted = await this.repository.insert(record);
      if (inserted === 'inserted') return;
      if (inserted === 'app_taken') {
        throw conflict(`this workspace already runs a deployment of ${record.appName}: remove it first`);
      }
    }
    throw new AppError('unavailable', `no free port on 127.0.0.1 after ${PORT_ATTEMPTS} tries`);
  }

  /** Keeps the deployment's port if it is free, else finds another. */
  private async moveTo(record: DeploymentRecord, to: AppVersionRecord): Promise<DeploymentRecord> {
    let hostPort = (await this.ports.isFree?.(record.hostPort)) ? record.hostPort : await this.ports.allocate();
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
      const move = { version: to.version, hostPort, containerPort: to.manifest.port.containerPort, routePrefix: to.manifest.routePrefix, healthCheck: to.manifest.healthCheck };
      const moved = await this.repository.move(record.workspaceId, record.deploymentId, move);
      if (moved === 'moved') return { ...record, ...move };
      if (moved === 'missing') throw notFound('deployment');
      hostPort = await this.ports.allocate();
    }
    throw new AppError('unavailable', `no free port on 127.0.0.1 after ${PORT_ATTEMPTS} tries`);
  }

  /** After `to` failed to start or to answer its check: the deployment gets its old version and key back; answers what happened. */
  private async rollBack(record: DeploymentRecord, from: AppVersionRecord | undefined, failure: string): Promise<string> {
    try {
      // First, so the store names the old key whatever else fails: the new one is revoked next.
      await this.repository.setApiKey(record.workspaceId, record.deploymentId, record.apiKey);
      await this.runtime.remove(record.containerName);
      const { version, hostPort, containerPort, routePrefix, healthCheck } = record;
      if ((await this.repository.move(record.workspaceId, record.deploymentId, { version, hostPort, containerPort, routePrefix, healthCheck })) !== 'moved' || !from) {
        return `${failure}; version ${version} could not be restored`;
      }
      await this.runtime.deploy(containerSpecFor(record, from.manifest));
      return `${failure}; running version ${version} again`;
    } catch (error) {
      return `${failure}; version ${record.version} could not be started again either: ${messageOf(toAppError(error))}`;
    }
  }

  /**
   * A status for views: when the engine cannot be asked, `unknown` with the reason, not an error.
   * Probed when running; a container `started` by this very call is `starting` until it answers.
   */
  private async runtimeStatus(record: Pick<StoredDeployment, 'containerName' | 'hostPort' | 'containerPort' | 'healthCheck'>, started?: 'started'): Promise<ViewStatus> {
    try {
      const engine: ViewStatus = await this.runtime.status(record.containerName);
      return this.health ? await this.health.status(this.endpointsOf(record), record.healthCheck, engine, started ? 'starting' : 'unhealthy') : engine;
    } catch (error) {
      if (error instanceof RuntimeError) return { state: 'unknown', detail: error.message };
      throw error;
    }
  }
}

export interface LaunchOptions {
  env: DeploymentEnv;
  follow: DeploymentFollow;
  followTag?: string;
  installedFrom?: { workspaceId: string; workspaceSlug: string };
}

type ApiKey = NonNullable<DeploymentRecord['apiKey']>;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** An image the engine lacks is the deployment's problem to fix (it is never pulled), not a missing deployment. */
function deployError(error: unknown, image: string): unknown {
  if (error instanceof RuntimeError && error.code === 'not_found') {
    return conflict(`the container engine cannot start ${image}: ${error.message} (images are not pulled: load it into the engine first)`);
  }
  return toAppError(error);
}
