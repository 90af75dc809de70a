import type { ContainerSpec } from '../../domain/container-runtime.port.js';

/** How often a crashing app is restarted before it is left stopped and reported failed. */
export const MAX_RESTARTS = 5;

/** Seconds an app has between SIGTERM and SIGKILL on stop, restart and remove. */
export const STOP_TIMEOUT_SECONDS = 10;

/** Processes an app may run at once: a fork bomb stays inside its container. */
export const PIDS_LIMIT = 256;

/** Scratch space given instead of a writable root filesystem. */
export const TMP_TMPFS = { target: '/tmp', bytes: 64 * 1024 * 1024, options: 'rw,noexec,nosuid,nodev' };

/**
 * The app's environment; `PORT` and `HOST` (the address to listen on, which depends on the
 * runtime's networking) are always the platform's, whatever the manifest says.
 */
export function containerEnv(spec: ContainerSpec, listenHost: string): string[] {
  const env = Object.entries(spec.env).filter(([key]) => key !== 'PORT' && key !== 'HOST');
  return [...env.map(([key, value]) => `${key}=${value}`), `HOST=${listenHost}`, `PORT=${spec.containerPort}`];
}

const NANOS_PER_SECOND = 1_000_000_000;

/** Docker's HealthConfig: durations in nanoseconds, `CMD` runs the command without a shell. */
export function healthConfig(spec: ContainerSpec) {
  const check = spec.healthCheck;
  if (!check) return undefined;
  return {
    Test: ['CMD', ...check.command],
    Interval: check.intervalSeconds * NANOS_PER_SECOND,
    Timeout: check.timeoutSeconds * NANOS_PER_SECOND,
    Retries: check.retries,
  };
}

/** `{ key: value }` as the `label` filter of list calls: every pair must match. */
export function labelFilter(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}
