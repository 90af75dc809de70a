import type { AppHealthCheck } from '@citus/contracts';
import type { AppHealthProbe } from '../domain/app-health.port.js';
import type { Endpoint } from '../domain/container-runtime.port.js';
import type { ViewStatus } from './deployment.views.js';

/** A view probes once and briefly: listing many deployments must not wait on a slow one. */
const VIEW_TIMEOUT_SECONDS = 3;
/** A redeploy polls at least this often, whatever the manifest's interval (which is at least 5 s). */
const POLL_SECONDS = 1;
/** A redeploy runs inside a webhook's request or an approval: it waits no longer than this. */
const MAX_WAIT_SECONDS = 120;
/** The engine runs it, but no replica publishes its port (yet). */
const NO_REPLICA = 'no replica publishes its port yet';

/** Time for waiting, injectable so tests need not wait. */
export interface HealthClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: HealthClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Where a deployment's replicas answer now (see `ContainerRuntime.endpoints`). */
export type EndpointsOf = () => Promise<Endpoint[]>;

/**
 * The manifest's health check, run by the platform on each replica's port: once for a view, and
 * until it passes (or the manifest's allowance runs out) after a redeploy starts a new version.
 */
export class DeploymentHealth {
  constructor(
    private readonly probe: AppHealthProbe,
    private readonly clock: HealthClock = REAL_CLOCK,
  ) {}

  /**
   * The engine's status, or `failing` (`unhealthy`; `starting` for a container just started, which
   * may not listen yet) when the engine says running and the check fails on a replica.
   */
  async status(endpoints: EndpointsOf, check: AppHealthCheck | undefined, engine: ViewStatus, failing: 'unhealthy' | 'starting' = 'unhealthy'): Promise<ViewStatus> {
    if (engine.state !== 'running' || check === undefined) return engine;
    const timeoutSeconds = Math.min(check.timeoutSeconds, VIEW_TIMEOUT_SECONDS);
    const ports = await endpoints();
    const failure = ports.length === 0 ? NO_REPLICA : await this.firstFailure(ports, check, timeoutSeconds);
    return failure === undefined ? engine : { ...engine, state: failing, detail: `health check GET ${check.path}: ${failure}` };
  }

  /** Probes the replicas side by side: what the first failing one answered (with its port when there are several), or undefined. */
  private async firstFailure(endpoints: Endpoint[], check: AppHealthCheck, timeoutSeconds: number): Promise<string | undefined> {
    const results = await Promise.all(endpoints.map((endpoint) => this.probe.probe(endpoint, check.path, timeoutSeconds * 1000)));
    const index = results.findIndex((result) => !result.healthy);
    const failed = results[index];
    if (!failed || failed.healthy) return undefined;
    return endpoints.length > 1 ? `${failed.detail} (the replica on port ${endpoints[index]?.port})` : failed.detail;
  }

  /**
   * Probes until the check passes on every replica (and one at least runs), for at most
   * `timeoutSeconds + intervalSeconds * retries` (the time the manifest gives a start, capped; a
   * probe begun before then may run its own timeout past it): undefined once healthy, else what it
   * last answered.
   */
  async waitUntilHealthy(endpoints: EndpointsOf, check: AppHealthCheck): Promise<string | undefined> {
    const allowedSeconds = Math.min(check.timeoutSeconds + check.intervalSeconds * check.retries, MAX_WAIT_SECONDS);
    const pollMs = Math.min(check.intervalSeconds, POLL_SECONDS) * 1000;
    const deadline = this.clock.now() + allowedSeconds * 1000;
    for (;;) {
      // The engine failing to say where the replicas are is a failed poll, not the end of the wait.
      const ports = await endpoints().catch((error: unknown) => `the engine did not list the replicas: ${error instanceof Error ? error.message : String(error)}`);
      const failure = typeof ports === 'string' ? ports : ports.length === 0 ? NO_REPLICA : await this.firstFailure(ports, check, check.timeoutSeconds);
      if (failure === undefined) return undefined;
      if (this.clock.now() + pollMs > deadline) {
        return `the new version failed its health check GET ${check.path} for ${allowedSeconds} s: ${failure}`;
      }
      await this.clock.sleep(pollMs);
    }
  }
}
