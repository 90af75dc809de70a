import type { CreateDeploymentRequest, Deployment, DeploymentList } from '@citus/contracts';
import { AppError, conflict, newId, notFound } from '@citus/kit';
import type { Actor } from '../domain/app.model.js';
import { RuntimeError, type ContainerRuntime, type LogOptions, type RuntimeStatus } from '../domain/container-runtime.port.js';
import type { DeploymentRecord, DeploymentRepository, HostPortAllocator } from '../domain/deployment.model.js';
import type { AppCatalogService, WorkspaceRef } from './app-catalog.service.js';
import { containerNameOf, containerSpecFor, deploymentVariables } from './deployment-spec.js';
import { deploymentView } from './deployment.views.js';
import { runtimeCall, toAppError } from './runtime-errors.js';

/** Ports the OS hands out can be held by a stopped deployment: a few draws find one that is not. */
const PORT_ATTEMPTS = 5;

/** Where the reverse proxy sends `/apps/{workspace}/{app}/...`. */
export interface DeploymentRoute {
  hostPort: number;
  routePrefix: string;
}

/**
 * Deployments of a workspace's approved app versions (issue 7 point 3): stored first, then started,
 * so a deployment the engine runs is always one the platform knows; the engine is asked for every
 * status. Every call is scoped to one workspace; another's deployment answers not found.
 */
export class DeploymentService {
  constructor(
    private readonly catalog: AppCatalogService,
    private readonly repository: DeploymentRepository,
    private readonly runtime: ContainerRuntime,
    private readonly ports: HostPortAllocator,
    private readonly now: () => number = Date.now,
  ) {}

  async deploy(workspace: WorkspaceRef, appId: string, actor: Actor, request: CreateDeploymentRequest): Promise<Deployment> {
    const version = await this.catalog.deployableVersion(workspace.id, appId, request.version);
    const { manifest } = version;
    const deploymentId = newId('dep');
    const record: DeploymentRecord = {
      deploymentId,
      workspaceId: workspace.id,
      workspaceSlug: workspace.slug,
      appId,
      appName: manifest.name,
      version: version.version,
      containerName: containerNameOf(deploymentId),
      hostPort: 0,
      routePrefix: manifest.routePrefix,
      ...deploymentVariables(manifest, request.env),
      createdAt: this.now(),
      createdBy: actor,
    };
    await this.store(record);
    try {
      await this.runtime.deploy(containerSpecFor(record, manifest));
    } catch (error) {
      await this.repository.delete(workspace.id, deploymentId);
      throw deployError(error, manifest.image);
    }
    return deploymentView(record, await this.runtimeStatus(record));
  }

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
    await this.repository.delete(workspaceId, deploymentId);
  }

  /** For the reverse proxy: the workspace's deployment of the app named so. */
  async route(workspaceId: string, appName: string): Promise<DeploymentRoute> {
    const record = await this.repository.findByAppName(workspaceId, appName);
    if (!record) throw notFound('app deployment');
    return { hostPort: record.hostPort, routePrefix: record.routePrefix };
  }

  private async act(workspaceId: string, deploymentId: string, action: (name: string) => Promise<void>): Promise<Deployment> {
    const record = await this.find(workspaceId, deploymentId);
    await runtimeCall(() => action(record.containerName));
    return deploymentView(record, await this.runtimeStatus(record));
  }

  private async find(workspaceId: string, deploymentId: string): Promise<DeploymentRecord> {
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

  /** A status for views: when the engine cannot be asked, `unknown` with the reason, not an error. */
  private async runtimeStatus(record: DeploymentRecord): Promise<RuntimeStatus | { state: 'unknown'; detail: string }> {
    try {
      return await this.runtime.status(record.containerName);
    } catch (error) {
      if (error instanceof RuntimeError) return { state: 'unknown', detail: error.message };
      throw error;
    }
  }
}

/** An image the engine lacks is the deployment's problem to fix (it is never pulled), not a missing deployment. */
function deployError(error: unknown, image: string): unknown {
  if (error instanceof RuntimeError && error.code === 'not_found') {
    return conflict(`the container engine cannot start ${image}: ${error.message} (images are not pulled: load it into the engine first)`);
  }
  return toAppError(error);
}
