import type Dockerode from 'dockerode';
import {
  RuntimeError,
  type ContainerRuntime,
  type ContainerSpec,
  type DeploymentPorts,
  type Endpoint,
  onLoopback,
  type LogOptions,
  type RuntimeAvailability,
  type RuntimeStatus,
} from '../../domain/container-runtime.port.js';
import { engineCall, engineCallWithin, isNotFound, pingEngine, toRuntimeError, type DockerConnection } from './docker-connection.js';
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
/** How long the last ports the engine gave stand in while it cannot be asked: a blip of the engine's API must not cut running apps off. */
const ENDPOINTS_STALE_MS = 30_000;
/** A task listing that takes longer is given up (the engine's API calls have no timeout of their own). */
const LIST_TIMEOUT_MS = 3_000;

interface ServiceInfo {
  Version: { Index: number };
  Spec: Dockerode.ServiceSpec & { Name: string; Labels?: Record<string, string> };
}

/** One Swarm service per deployment; the engine must be a Swarm manager. */
export class DockerSwarmRuntime implements ContainerRuntime {
  readonly kind = 'swarm' as const;

  private readonly network: AppNetwork;
  /** Task ports by service, asked within the last second (`key` is name and port: a redeploy may change the port). */
  private readonly known = new Map<string, { key: string; at: number; ports: Promise<number[]> }>();
  /** The last ports the engine gave, for when it cannot be asked. */
  private readonly lastGood = new Map<string, { key: string; at: number; ports: number[] }>();

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
    // Read on each deploy (they are rare): a swarm made anew has a new node id.
    const nodeId = await this.localNode();
    const create = () => engineCall(this.connection, () => this.docker.createService(serviceSpec(spec, this.network.name, nodeId)));
    try {
      await create().catch(async (error: unknown) => {
        // Removed by an operator, or gone with the swarm it belonged to, since it was checked: made again, once.
        if (!(error instanceof RuntimeError && error.code === 'not_found' && /network/i.test(error.message))) throw error;
        this.network.forget();
        await this.network.ensure();
        return create();
      });
    } finally {
      this.forgetPorts(spec.name);
    }
  }

  /** The node the platform's engine is: where tasks must run for their loopback ports to be the platform's. */
  private localNode(): Promise<string> {
    return engineCall(this.connection, async () => {
      const info = (await this.docker.info()) as { Swarm?: { NodeID?: string } };
      if (!info.Swarm?.NodeID) throw new RuntimeError('unavailable', `the Docker engine at DOCKER_HOST=${this.connection.host} is not a Swarm node: run docker swarm init, or use CITUS_APP_RUNTIME=docker`);
      return info.Swarm.NodeID;
    });
  }

  async endpoints(name: string, ports: DeploymentPorts): Promise<Endpoint[]> {
    return (await this.publishedPortsOf(name, ports.containerPort)).map(onLoopback);
  }

  /** The host ports the running tasks publish `containerPort` on. */
  private publishedPortsOf(name: string, containerPort: number): Promise<number[]> {
    const key = `${name}:${containerPort}`;
    const cached = this.known.get(name);
    if (cached?.key === key && Date.now() - cached.at < ENDPOINTS_TTL_MS) return cached.ports;
    const entry = { key, at: Date.now(), ports: this.askPorts(name, containerPort, key) };
    this.known.set(name, entry);
    // A failed ask is not kept: the next request asks again.
    entry.ports.catch(() => this.known.get(name) === entry && this.known.delete(name));
    return entry.ports;
  }

  private async askPorts(name: string, containerPort: number, key: string): Promise<number[]> {
    try {
      const tasks = await engineCallWithin(this.connection, LIST_TIMEOUT_MS, `the task listing of ${name}`, () => this.docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } }));
      const ports = publishedPorts(tasks as Parameters<typeof publishedPorts>[0], containerPort);
      this.lastGood.set(name, { key, at: Date.now(), ports });
      return ports;
    } catch (error) {
      // A service that is gone runs nowhere.
      if (error instanceof RuntimeError && error.code === 'not_found') return [];
      const last = this.lastGood.get(name);
      if (last?.key === key && Date.now() - last.at < ENDPOINTS_STALE_MS) return last.ports;
      throw error;
    }
  }

  /** After a change to the service: its ports are asked for again. */
  private forgetPorts(name: string): void {
    this.known.delete(name);
    this.lastGood.delete(name);
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
    try {
      const service = await this.inspect(name);
      await engineCall(this.connection, () =>
        this.docker.getService(name).update({ version: service.Version.Index, ...change(service.Spec) }),
      );
    } finally {
      this.forgetPorts(name);
    }
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
    try {
      await this.docker.getService(name).remove();
    } catch (error) {
      if (isNotFound(error)) return;
      throw toRuntimeError(error, this.connection.host);
    } finally {
      this.forgetPorts(name);
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
