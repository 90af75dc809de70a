import type { AppHealthCheck } from '@citus/contracts';
import type { AppHealthProbe } from '../domain/app-health.port.js';
import type { ViewStatus } from './deployment.views.js';

/** A view probes once and briefly: listing many deployments must not wait on a slow one. */
const VIEW_TIMEOUT_SECONDS = 3;
/** A redeploy polls at least this often, whatever the manifest's interval (which is at least 5 s). */
const POLL_SECONDS = 1;
/** A redeploy runs inside a webhook's request or an approval: it waits no longer than this. */
const MAX_WAIT_SECONDS = 120;

/** Time for waiting, injectable so tests need not wait. */
export interface HealthClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: HealthClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * The manifest's health check, run by the platform on the deployment's port: once for a view, and
 * until it passes (or the manifest's allowance runs out) after a redeploy starts a new version.
 */
export class DeploymentHealth {
  constructor(
    private readonly probe: AppHealthProbe,
    private readonly clock: HealthClock = REAL_CLOCK,
  ) {}

  /**
   * The engine's status, or `failing` (`unhealthy`; `starting` for a container just started, which
   * may not listen yet) when the engine says running and the check fails.
   */
  async status(
    deployment: { hostPort: number; healthCheck?: AppHealthCheck | undefined },
    engine: ViewStatus,
    failing: 'unhealthy' | 'starting' = 'unhealthy',
  ): Promise<ViewStatus> {
    const check = deployment.healthCheck;
    if (engine.state !== 'running' || check === undefined) return engine;
    const timeoutSeconds = Math.min(check.timeoutSeconds, VIEW_TIMEOUT_SECONDS);
    const result = await this.probe.probe(deployment.hostPort, check.path, timeoutSeconds * 1000);
    return result.healthy ? engine : { ...engine, state: failing, detail: `health check GET ${check.path}: ${result.detail}` };
  }

  /**
   * Probes until the check passes, for at most `timeoutSeconds + intervalSeconds * retries` (the
   * time the manifest gives a start, capped; a probe begun before then may run its own timeout
   * past it): undefined once healthy, else what it last answered.
   */
  async waitUntilHealthy(hostPort: number, check: AppHealthCheck): Promise<string | undefined> {
    const allowedSeconds = Math.min(check.timeoutSeconds + check.intervalSeconds * check.retries, MAX_WAIT_SECONDS);
    const pollMs = Math.min(check.intervalSeconds, POLL_SECONDS) * 1000;
    const deadline = this.clock.now() + allowedSeconds * 1000;
    for (;;) {
      const result = await this.probe.probe(hostPort, check.path, check.timeoutSeconds * 1000);
      if (result.healthy) return undefined;
      if (this.clock.now() + pollMs > deadline) {
        return `the new version failed its health check GET ${check.path} for ${allowedSeconds} s: ${result.detail}`;
      }
      await this.clock.sleep(pollMs);
    }
  }
}
