/**
 * Port: where app deployments run. Two adapters on `dockerode`: a single Docker engine and Docker
 * Swarm services. The domain never knows which one it has.
 *
 * Networking: an app listens on `$HOST:$PORT` (both in its environment; the port is
 * `containerPort` here: the manifest's, else the `hostPort` the platform chose), as on most PaaS,
 * in a network namespace of its own on a bridge without traffic between apps. The platform's
 * reverse proxy reaches it where `endpoints` answers: the single engine publishes it on the host's
 * 127.0.0.1 at `hostPort` (or, with `network` reach, the proxy's container shares a bridge with it);
 * Swarm publishes each task's port on a loopback port of the engine's choosing, so replicas of one
 * deployment do not collide.
 */
export interface ContainerSpec {
  /** Unique name of the container (Docker) or service (Swarm); also how every later call finds it. */
  name: string;
  /** An image the engine already has: nothing is pulled from a registry by a deploy. */
  image: string;
  /** Who and what it belongs to (workspace, app, version, deployment): every container carries them. */
  labels: Record<string, string>;
  /** Plain and secret values alike: secrets are resolved by the caller and never logged. */
  env: Record<string, string>;
  /** The deployment's port on the host's 127.0.0.1, where the single engine publishes `containerPort`. */
  hostPort: number;
  /** The port the app listens on inside its container (passed as `PORT`). */
  containerPort: number;
  resources: {
    /** Hard memory limit in bytes. */
    memoryBytes: number;
    /** CPU limit in billionths of a CPU (Docker's NanoCpus). */
    nanoCpus: number;
  };
  /** The root filesystem is mounted read-only (a tmpfs `/tmp` is given instead) when the manifest allows. */
  readOnlyRootFilesystem: boolean;
  /** A command run inside the container; non-zero exit means unhealthy. */
  healthCheck?: { command: string[]; intervalSeconds: number; timeoutSeconds: number; retries: number };
  /** Swarm only: how many tasks; the single engine runs exactly one. */
  replicas?: number;
}

/** Where the platform's proxy reaches a replica: `127.0.0.1` and a published port, or a container's name on a network the proxy shares. */
export interface Endpoint {
  host: string;
  port: number;
}

/** The ports of a deployment (see `ContainerSpec`). */
export type DeploymentPorts = Pick<ContainerSpec, 'hostPort' | 'containerPort'>;

/** The host's loopback, where the engine publishes apps for a proxy that runs on the host. */
export const LOOPBACK = '127.0.0.1';

export const onLoopback = (port: number): Endpoint => ({ host: LOOPBACK, port });

export type RuntimeState = 'running' | 'starting' | 'stopped' | 'failed' | 'missing';

export interface RuntimeStatus {
  state: RuntimeState;
  /** Swarm: tasks wanted and running; a single engine reports 1/1 or 1/0. */
  replicas: { desired: number; running: number };
  /** What the engine said about a failure, for the developer. */
  detail?: string;
}

export type RuntimeAvailability = { available: true; engine: string } | { available: false; reason: string };

export interface LogOptions {
  /** Keep the stream open and send new lines as they come. */
  follow: boolean;
  /** Only the last lines. */
  tail?: number;
  /** Ends the lines (and lets go of the engine's stream) at once, even while the app is quiet. */
  signal?: AbortSignal;
}

/** Raised for requests the engine refused or cannot serve; `code` tells the API which status fits. */
export class RuntimeError extends Error {
  constructor(
    readonly code: 'unavailable' | 'not_found' | 'conflict' | 'unsupported' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export interface ContainerRuntime {
  readonly kind: 'docker' | 'swarm';
  /** Whether the engine answers; never throws. */
  availability(): Promise<RuntimeAvailability>;
  /** Creates and starts it. A name already in use is a `conflict`. */
  deploy(spec: ContainerSpec): Promise<void>;
  status(name: string): Promise<RuntimeStatus>;
  /** Its stdout and stderr as text lines, in order. */
  logs(name: string, options: LogOptions): AsyncIterable<string>;
  restart(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  /** Stops it if running and removes it; removing a missing one is not an error. */
  remove(name: string): Promise<void>;
  /** Swarm: sets the number of tasks. The single engine answers `unsupported`. */
  scale(name: string, replicas: number): Promise<void>;
  /** The names of the containers or services carrying all these labels. */
  list(labels: Record<string, string>): Promise<string[]>;
  /** Where it answers now, one address per running replica (none when nothing runs), given the ports it was deployed with. */
  endpoints(name: string, ports: DeploymentPorts): Promise<Endpoint[]>;
}
