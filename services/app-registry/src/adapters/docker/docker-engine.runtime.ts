import type Dockerode from 'dockerode';
import {
  RuntimeError,
  type ContainerRuntime,
  type ContainerSpec,
  type DeploymentPorts,
  type Endpoint,
  LOOPBACK,
  onLoopback,
  type LogOptions,
  type RuntimeAvailability,
  type RuntimeStatus,
} from '../../domain/container-runtime.port.js';
import { engineCall, isNotFound, pingEngine, toRuntimeError, type DockerConnection } from './docker-connection.js';
import { logLines } from './docker-logs.js';
import { DeploymentBridges } from './docker-bridges.js';
import { AppNetwork } from './docker-network.js';
import {
  containerEnv,
  healthConfig,
  labelFilter,
  MAX_RESTARTS,
  PIDS_LIMIT,
  STOP_TIMEOUT_SECONDS,
  TMP_TMPFS,
} from './docker-security.js';

/** Where an app listens inside its own network namespace: every interface of it, which only the platform's published port reaches. */
export const ENGINE_LISTEN_HOST = '0.0.0.0';

/** The bridge app containers join unless CITUS_APP_NETWORK names another. */
export const DEFAULT_APP_NETWORK = 'citus-apps';

/**
 * How the platform's proxy reaches app containers: on the host's 127.0.0.1, where each app's port
 * is published (the proxy runs on the host), or, when the proxy runs in a container of the same
 * engine (compose), through a network of each deployment's own that the proxy's container joins.
 */
export type AppReach = { kind: 'loopback' } | { kind: 'network'; proxyContainer: string };

/**
 * What every app container gets: a network namespace of its own on `network` (the app network,
 * see `appNetworkOptions`, where no app reaches another; or its own, shared with the proxy alone),
 * its `$PORT` published on the host's 127.0.0.1 only when `publish` (where the platform's proxy
 * reaches it; nothing beyond the host can), hard memory and CPU limits, no privileges, no
 * capabilities, no privilege escalation through setuid binaries, no bind mounts or volumes (so no
 * Docker socket and no host path), and a bounded restart policy.
 */
export function containerCreateOptions(spec: ContainerSpec, network: string, publish = true): Dockerode.ContainerCreateOptions {
  const port = `${spec.containerPort}/tcp`;
  return {
    name: spec.name,
    Image: spec.image,
    Labels: spec.labels,
    Env: containerEnv(spec, ENGINE_LISTEN_HOST),
    Healthcheck: healthConfig(spec),
    StopTimeout: STOP_TIMEOUT_SECONDS,
    ExposedPorts: { [port]: {} },
    HostConfig: {
      NetworkMode: network,
      PortBindings: publish ? { [port]: [{ HostIp: LOOPBACK, HostPort: String(spec.hostPort) }] } : {},
      Memory: spec.resources.memoryBytes,
      // Equal to Memory: no swap on top of the limit.
      MemorySwap: spec.resources.memoryBytes,
      NanoCpus: spec.resources.nanoCpus,
      PidsLimit: PIDS_LIMIT,
      // An init as PID 1 forwards SIGTERM (a bare PID 1 ignores it, so every stop would wait for
      // SIGKILL) and reaps zombies.
      Init: true,
      ReadonlyRootfs: spec.readOnlyRootFilesystem,
      Tmpfs: spec.readOnlyRootFilesystem ? { [TMP_TMPFS.target]: `${TMP_TMPFS.options},size=${TMP_TMPFS.bytes}` } : {},
      Privileged: false,
      Binds: [],
      Mounts: [],
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges:true'],
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: MAX_RESTARTS },
    },
  };
}

type ContainerState = Dockerode.ContainerInspectInfo['State'];

function runningStatus(state: ContainerState): RuntimeStatus {
  const health = state.Health;
  if (health?.Status === 'starting') return { state: 'starting', replicas: { desired: 1, running: 1 } };
  if (health?.Status === 'unhealthy') {
    const last = health.Log?.at(-1)?.Output?.trim();
    return { state: 'failed', replicas: { desired: 1, running: 1 }, detail: `unhealthy${last ? `: ${last}` : ''}` };
  }
  return { state: 'running', replicas: { desired: 1, running: 1 } };
}

/** Docker's container state and health, in the port's terms. */
export function containerStatus(info: Dockerode.ContainerInspectInfo): RuntimeStatus {
  const state = info.State;
  const stopped = { desired: 1, running: 0 };
  switch (state.Status) {
    case 'running':
      return runningStatus(state);
    case 'created':
      return { state: 'starting', replicas: stopped };
    case 'restarting':
      return { state: 'starting', replicas: stopped, detail: `restarting after exit code ${state.ExitCode}` };
    case 'exited': {
      if (state.OOMKilled) return { state: 'failed', replicas: stopped, detail: 'killed: out of memory' };
      // The restart policy gave up: it crashed on every try. Below that, it was stopped.
      if (state.ExitCode !== 0 && info.RestartCount >= MAX_RESTARTS) {
        return { state: 'failed', replicas: stopped, detail: `exit code ${state.ExitCode} after ${info.RestartCount} restarts` };
      }
      return { state: 'stopped', replicas: stopped, detail: `exit code ${state.ExitCode}` };
    }
    case 'dead':
      return { state: 'failed', replicas: stopped, detail: state.Error || 'dead' };
    default:
      return { state: 'stopped', replicas: stopped, detail: state.Status };
  }
}

/** One container per deployment on a single Docker engine. */
export class DockerEngineRuntime implements ContainerRuntime {
  readonly kind = 'docker' as const;

  private readonly network: AppNetwork;
  /** `network` reach only. */
  private readonly bridges?: DeploymentBridges;

  constructor(
    private readonly connection: DockerConnection,
    networkName = DEFAULT_APP_NETWORK,
    reach: AppReach = { kind: 'loopback' },
  ) {
    this.network = new AppNetwork(connection, networkName);
    if (reach.kind === 'network') this.bridges = new DeploymentBridges(connection, reach.proxyContainer);
  }

  private get docker(): Dockerode {
    return this.connection.docker;
  }

  async availability(): Promise<RuntimeAvailability> {
    const engine = await pingEngine(this.connection);
    if (!engine.available || !this.bridges) return engine;
    try {
      await this.bridges.proxy();
      return engine;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { available: false, reason: message.startsWith('CITUS_APP_REACH') ? message : `CITUS_APP_REACH=network: the proxy's container could not be looked up: ${message}` };
    }
  }

  async deploy(spec: ContainerSpec): Promise<void> {
    const bridges = this.bridges;
    let container: Dockerode.Container;
    try {
      const network = bridges ? await bridges.open(spec.name, spec.labels) : (await this.network.ensure(), this.network.name);
      const create = () => engineCall(this.connection, () => this.docker.createContainer(containerCreateOptions(spec, network, !bridges)));
      container = await create().catch(async (error: unknown) => {
        // Removed by an operator since it was checked: made again, once.
        if (bridges || !(error instanceof RuntimeError && error.code === 'not_found' && /network/i.test(error.message))) throw error;
        this.network.forget();
        await this.network.ensure();
        return create();
      });
    } catch (error) {
      // A conflict is a container of this name that runs: its bridge stays.
      if (!(error instanceof RuntimeError && error.code === 'conflict')) await bridges?.close(spec.name);
      throw error;
    }
    try {
      await container.start();
    } catch (error) {
      // A container that never started would make the next deploy of this name a conflict.
      await container.remove({ force: true }).catch(() => undefined);
      await bridges?.close(spec.name);
      throw toRuntimeError(error, this.connection.host);
    }
  }

  async status(name: string): Promise<RuntimeStatus> {
    try {
      return containerStatus(await this.docker.getContainer(name).inspect());
    } catch (error) {
      if (isNotFound(error)) return { state: 'missing', replicas: { desired: 0, running: 0 } };
      throw toRuntimeError(error, this.connection.host);
    }
  }

  async *logs(name: string, options: LogOptions): AsyncIterable<string> {
    const container = this.docker.getContainer(name);
    const common = { stdout: true, stderr: true, tail: options.tail };
    const source = await engineCall<NodeJS.ReadableStream | Buffer>(this.connection, () =>
      options.follow ? container.logs({ ...common, follow: true }) : container.logs({ ...common, follow: false }),
    );
    yield* logLines(this.docker, source, options.signal);
  }

  async restart(name: string): Promise<void> {
    await engineCall(this.connection, () => this.docker.getContainer(name).restart({ t: STOP_TIMEOUT_SECONDS }));
  }

  async stop(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).stop({ t: STOP_TIMEOUT_SECONDS });
    } catch (error) {
      // 304: already stopped, which is what was asked.
      if ((error as { statusCode?: number }).statusCode === 304) return;
      throw toRuntimeError(error, this.connection.host);
    }
  }

  async remove(name: string): Promise<void> {
    try {
      // v: anonymous volumes an image declares go with the container.
      await this.docker.getContainer(name).remove({ force: true, v: true });
    } catch (error) {
      if (!isNotFound(error)) throw toRuntimeError(error, this.connection.host);
    }
    await this.bridges?.close(name);
  }

  scale(name: string, replicas: number): Promise<void> {
    return Promise.reject(
      new RuntimeError('unsupported', `${name}: a single Docker engine runs one container per deployment, not ${replicas}; scaling needs CITUS_APP_RUNTIME=swarm`),
    );
  }

  /**
   * Its host port on 127.0.0.1, where its container port is published, or, for `network` reach,
   * its container port on the container's name in the network the proxy's container shares with it
   * (joined again if the proxy's container was made anew since). Whether it answers is the health
   * check's question.
   */
  async endpoints(name: string, ports: DeploymentPorts): Promise<Endpoint[]> {
    if (!this.bridges) return [onLoopback(ports.hostPort)];
    // No bridge: nothing of this deployment runs.
    return (await this.bridges.ensureJoined(name)) ? [{ host: name, port: ports.containerPort }] : [];
  }

  async list(labels: Record<string, string>): Promise<string[]> {
    const containers = await engineCall(this.connection, () =>
      this.docker.listContainers({ all: true, filters: { label: labelFilter(labels) } }),
    );
    return containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')).sort();
  }
}
