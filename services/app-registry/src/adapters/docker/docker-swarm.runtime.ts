import type Dockerode from 'dockerode';
import {
  RuntimeError,
  type ContainerRuntime,
  type ContainerSpec,
  type LogOptions,
  type RuntimeAvailability,
  type RuntimeStatus,
} from '../../domain/container-runtime.port.js';
import { engineCall, isNotFound, pingEngine, toRuntimeError, type DockerConnection } from './docker-connection.js';
import { logLines } from './docker-logs.js';
import { AppNetwork } from './docker-network.js';
import { labelFilter } from './docker-security.js';
import { publishedPorts, serviceSpec, serviceStatus, STOPPED_REPLICAS_LABEL } from './docker-swarm.spec.js';

/** The swarm-scoped bridge Swarm apps join unless CITUS_APP_SWARM_NETWORK names another. */
export const DEFAULT_SWARM_APP_NETWORK = 'citus-swarm-apps';

/**
 * How long the proxy may go on using a service's task ports before asking the engine again: every
 * proxied request asks for them. A change made through this runtime forgets them at once.
 */
const ENDPOINTS_TTL_MS = 1_000;

interface ServiceInfo {
  Version: { Index: number };
  Spec: Dockerode.ServiceSpec & { Name: string; Labels?: Record<string, string> };
}

/** One Swarm service per deployment; the engine must be a Swarm manager. */
export class DockerSwarmRuntime implements ContainerRuntime {
  readonly kind = 'swarm' as const;

  private readonly network: AppNetwork;
  private readonly known = new Map<string, { at: number; ports: Promise<number[]> }>();
  private nodeId?: Promise<string>;

  constructor(
    private readonly connection: DockerConnection,
    networkName = DEFAULT_SWARM_APP_NETWORK,
  ) {
    this.network = new AppNetwork(connection, networkName, 'swarm');
  }

  private get docker(): Dockerode {
    return this.connection.docker;
  }

  async availability(): Promise<RuntimeAvailability> {
    const engine = await pingEngine(this.connection);
    if (!engine.available) return engine;
    try {
      const info = (await this.docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
      if (info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable) {
        return { available: true, engine: `${engine.engine}, Swarm manager` };
      }
      const state = info.Swarm?.LocalNodeState ?? 'unknown';
      return {
        available: false,
        reason: `The Docker engine at DOCKER_HOST=${this.connection.host} is not a Swarm manager (swarm ${state}): run docker swarm init, or use CITUS_APP_RUNTIME=docker`,
      };
    } catch (error) {
      return { available: false, reason: toRuntimeError(error, this.connection.host).message };
    }
  }

  async deploy(spec: ContainerSpec): Promise<void> {
    await this.network.ensure();
    const nodeId = await this.localNode();
    this.known.delete(spec.name);
    await engineCall(this.connection, () => this.docker.createService(serviceSpec(spec, this.network.name, nodeId)));
  }

  /** The node the platform's engine is: where tasks must run for their loopback ports to be the platform's. */
  private localNode(): Promise<string> {
    this.nodeId ??= engineCall(this.connection, async () => {
      const info = (await this.docker.info()) as { Swarm?: { NodeID?: string } };
      if (!info.Swarm?.NodeID) throw new RuntimeError('unavailable', `the Docker engine at DOCKER_HOST=${this.connection.host} is not a Swarm node: run docker swarm init, or use CITUS_APP_RUNTIME=docker`);
      return info.Swarm.NodeID;
    }).catch((error: unknown) => {
      this.nodeId = undefined;
      throw error;
    });
    return this.nodeId;
  }

  async endpoints(name: string, hostPort: number): Promise<number[]> {
    const cached = this.known.get(name);
    if (cached && Date.now() - cached.at < ENDPOINTS_TTL_MS) return cached.ports;
    const ports = engineCall(this.connection, () => this.docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } })).then(
      (tasks) => publishedPorts(tasks as Parameters<typeof publishedPorts>[0], hostPort),
      (error: unknown) => {
        // A service that is gone runs nowhere.
        if (error instanceof RuntimeError && error.code === 'not_found') return [];
        throw error;
      },
    );
    this.known.set(name, { at: Date.now(), ports });
    ports.catch(() => this.known.delete(name));
    return ports;
  }

  private inspect(name: string): Promise<ServiceInfo> {
    return engineCall(this.connection, () => this.docker.getService(name).inspect() as Promise<ServiceInfo>);
  }

  async status(name: string): Promise<RuntimeStatus> {
    let service: ServiceInfo;
    try {
      service = (await this.docker.getService(name).inspect()) as ServiceInfo;
    } catch (error) {
      if (isNotFound(error)) return { state: 'missing', replicas: { desired: 0, running: 0 } };
      throw toRuntimeError(error, this.connection.host);
    }
    const tasks = await engineCall(this.connection, () => this.docker.listTasks({ filters: { service: [name] } }));
    return serviceStatus(service.Spec.Mode?.Replicated?.Replicas ?? 0, tasks);
  }

  async *logs(name: string, options: LogOptions): AsyncIterable<string> {
    const service = this.docker.getService(name);
    const source = await engineCall<NodeJS.ReadableStream | Buffer>(this.connection, () =>
      service.logs({ stdout: true, stderr: true, follow: options.follow, tail: options.tail }),
    );
    yield* logLines(this.docker, source, options.signal);
  }

  /** Rewrites the service's spec; Swarm refuses an update made against an older version. */
  private async update(name: string, change: (spec: ServiceInfo['Spec']) => ServiceInfo['Spec']): Promise<void> {
    this.known.delete(name);
    const service = await this.inspect(name);
    await engineCall(this.connection, () =>
      this.docker.getService(name).update({ version: service.Version.Index, ...change(service.Spec) }),
    );
  }

  async restart(name: string): Promise<void> {
    await this.update(name, (spec) => {
      const { [STOPPED_REPLICAS_LABEL]: stopped, ...labels } = spec.Labels ?? {};
      const replicas = stopped === undefined ? (spec.Mode?.Replicated?.Replicas ?? 1) : Number(stopped);
      const task = spec.TaskTemplate ?? {};
      return {
        ...spec,
        Labels: labels,
        Mode: { Replicated: { Replicas: replicas } },
        TaskTemplate: { ...task, ForceUpdate: (task.ForceUpdate ?? 0) + 1 },
      };
    });
  }

  async stop(name: string): Promise<void> {
    await this.update(name, (spec) => {
      const replicas = spec.Mode?.Replicated?.Replicas ?? 0;
      if (replicas === 0) return spec;
      return {
        ...spec,
        Labels: { ...spec.Labels, [STOPPED_REPLICAS_LABEL]: String(replicas) },
        Mode: { Replicated: { Replicas: 0 } },
      };
    });
  }

  async remove(name: string): Promise<void> {
    this.known.delete(name);
    try {
      await this.docker.getService(name).remove();
    } catch (error) {
      if (isNotFound(error)) return;
      throw toRuntimeError(error, this.connection.host);
    }
  }

  async scale(name: string, replicas: number): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new RuntimeError('failed', `${name}: replicas must be a whole number, 0 or more (got ${replicas})`);
    }
    await this.update(name, (spec) => {
      const { [STOPPED_REPLICAS_LABEL]: _stopped, ...labels } = spec.Labels ?? {};
      return { ...spec, Labels: labels, Mode: { Replicated: { Replicas: replicas } } };
    });
  }

  async list(labels: Record<string, string>): Promise<string[]> {
    const services = await engineCall(this.connection, () =>
      this.docker.listServices({ filters: { label: labelFilter(labels) } }),
    );
    return services.map((s) => (s as unknown as ServiceInfo).Spec.Name).sort();
  }
}
