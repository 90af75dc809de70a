import type Dockerode from 'dockerode';
import type { ContainerSpec, RuntimeStatus } from '../../domain/container-runtime.port.js';
import { containerEnv, healthConfig, MAX_RESTARTS, PIDS_LIMIT, STOP_TIMEOUT_SECONDS, TMP_TMPFS } from './docker-security.js';

/** Kept on a stopped service: how many tasks a restart brings back. */
export const STOPPED_REPLICAS_LABEL = 'io.citus.runtime.stopped-replicas';

const NANOS_PER_SECOND = 1_000_000_000;

/** Where a Swarm task listens inside its own network namespace: every interface of it, which only its published port reaches. */
export const SWARM_LISTEN_HOST = '0.0.0.0';

/**
 * A Swarm service per deployment, confined as the single engine's containers are. Its tasks sit on
 * the swarm-scoped app bridge `network` (see `swarmNetworkOptions`): a network namespace each, no
 * traffic between apps. `$PORT` is published in host mode on a port the engine picks per task, on
 * the host's 127.0.0.1 (the network's binding address), so two replicas on one node do not collide
 * and nothing beyond the host reaches them. The tasks stay on the node `nodeId` (the platform's):
 * their ports are on that node's loopback, where the proxy is. Swarm has no privileged mode and no
 * binds unless asked; engines before API 1.46 have no no-new-privileges for services.
 */
export function serviceSpec(spec: ContainerSpec, network: string, nodeId: string): Dockerode.CreateServiceOptions {
  const tmp: Dockerode.MountSettings = { Type: 'tmpfs', Source: '', Target: TMP_TMPFS.target, TmpfsOptions: { SizeBytes: TMP_TMPFS.bytes, Mode: 0o1777 } };
  return {
    Name: spec.name,
    Labels: spec.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        Labels: spec.labels,
        Env: containerEnv(spec, SWARM_LISTEN_HOST),
        ReadOnly: spec.readOnlyRootFilesystem,
        Mounts: spec.readOnlyRootFilesystem ? [tmp] : [],
        Init: true,
        CapabilityDrop: ['ALL'],
        CapabilityAdd: [],
        HealthCheck: healthConfig(spec),
        StopGracePeriod: STOP_TIMEOUT_SECONDS * NANOS_PER_SECOND,
      },
      Resources: {
        Limits: { MemoryBytes: spec.resources.memoryBytes, NanoCPUs: spec.resources.nanoCpus, Pids: PIDS_LIMIT },
      },
      RestartPolicy: { Condition: 'on-failure', MaxAttempts: MAX_RESTARTS, Delay: NANOS_PER_SECOND },
      Placement: { Constraints: [`node.id==${nodeId}`] },
      Networks: [{ Target: network }],
    },
    Mode: { Replicated: { Replicas: spec.replicas ?? 1 } },
    // No PublishedPort: the engine picks a free one for each task.
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: spec.containerPort, PublishMode: 'host' }] },
  };
}

interface SwarmTask {
  UpdatedAt?: string;
  DesiredState?: string;
  Status?: {
    State?: string;
    Err?: string;
    Message?: string;
    PortStatus?: { Ports?: Array<{ TargetPort?: number; PublishedPort?: number; PublishMode?: string }> };
  };
}

const isRunning = (task: SwarmTask): boolean => task.DesiredState === 'running' && task.Status?.State === 'running';

/** The host ports the running tasks publish `targetPort` on, each once (the engine lists IPv4 and IPv6 apart). */
export function publishedPorts(tasks: SwarmTask[], targetPort: number): number[] {
  const ports = new Set<number>();
  for (const task of tasks.filter(isRunning)) {
    for (const port of task.Status?.PortStatus?.Ports ?? []) {
      if (port.TargetPort === targetPort && port.PublishMode === 'host' && port.PublishedPort) ports.add(port.PublishedPort);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

const FAILED_TASK_STATES = new Set(['failed', 'rejected', 'orphaned']);

/** Replicas wanted against tasks running; the newest failed task explains a shortfall. */
export function serviceStatus(desired: number, tasks: SwarmTask[]): RuntimeStatus {
  const running = tasks.filter(isRunning).length;
  const replicas = { desired, running };
  if (desired === 0) return { state: 'stopped', replicas };
  if (running >= desired) return { state: 'running', replicas };
  const failed = tasks
    .filter((t) => FAILED_TASK_STATES.has(t.Status?.State ?? ''))
    .sort((a, b) => (b.UpdatedAt ?? '').localeCompare(a.UpdatedAt ?? ''))[0];
  const detail = failed && `task ${failed.Status?.State}: ${failed.Status?.Err || failed.Status?.Message || 'no reason given'}`;
  const stillTrying = tasks.some((t) => t.DesiredState === 'running' && !FAILED_TASK_STATES.has(t.Status?.State ?? ''));
  if (running === 0 && failed && !stillTrying) return { state: 'failed', replicas, detail };
  return detail ? { state: 'starting', replicas, detail } : { state: 'starting', replicas };
}
