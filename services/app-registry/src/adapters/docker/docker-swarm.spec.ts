import type Dockerode from 'dockerode';
import type { ContainerSpec, RuntimeStatus } from '../../domain/container-runtime.port.js';
import { containerEnv, healthConfig, MAX_RESTARTS, PIDS_LIMIT, STOP_TIMEOUT_SECONDS, TMP_TMPFS } from './docker-security.js';

/** Kept on a stopped service: how many tasks a restart brings back. */
export const STOPPED_REPLICAS_LABEL = 'io.citus.runtime.stopped-replicas';

const NANOS_PER_SECOND = 1_000_000_000;

/** Where a Swarm task is told to listen: the host's loopback, which it shares. */
export const SWARM_LISTEN_HOST = '127.0.0.1';

/**
 * A Swarm service per deployment, confined as the single engine's containers are but for the
 * network. Host networking is the task's attachment to the predefined `host` network
 * (`--network host`), with no published ports: Swarm can publish only on every interface (the
 * routing mesh, which loopback does not reach, or host mode, which also allows one task per port
 * and node), so the task shares the host's network and is told to listen on 127.0.0.1 (`HOST`).
 * An app that listens elsewhere is exposed beyond the host, and any app or process on the host
 * can reach it: the single engine's isolated network is not had here. Swarm has no privileged
 * mode and no binds unless asked; engines before API 1.46 have no no-new-privileges for services.
 */
export function serviceSpec(spec: ContainerSpec): Dockerode.CreateServiceOptions {
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
      Networks: [{ Target: 'host' }],
    },
    Mode: { Replicated: { Replicas: spec.replicas ?? 1 } },
    EndpointSpec: { Ports: [] },
  };
}

interface SwarmTask {
  UpdatedAt?: string;
  DesiredState?: string;
  Status?: { State?: string; Err?: string; Message?: string };
}

const FAILED_TASK_STATES = new Set(['failed', 'rejected', 'orphaned']);

/** Replicas wanted against tasks running; the newest failed task explains a shortfall. */
export function serviceStatus(desired: number, tasks: SwarmTask[]): RuntimeStatus {
  const running = tasks.filter((t) => t.DesiredState === 'running' && t.Status?.State === 'running').length;
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
