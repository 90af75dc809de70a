import type { Endpoint } from './container-runtime.port.js';

/** What a probe found: healthy, or a short reason (`answered 503`, `no answer (ECONNREFUSED)`). */
export type HealthProbeResult = { healthy: true } | { healthy: false; detail: string };

/**
 * Port: asks a replica of a deployment's app, where the proxy reaches it, whether it is healthy:
 * `GET path` answered with 2xx within `timeoutMs`. The platform probes rather than the engine,
 * which could only run a command inside an image it knows nothing about (see deployment-spec.ts).
 */
export interface AppHealthProbe {
  probe(endpoint: Endpoint, path: string, timeoutMs: number): Promise<HealthProbeResult>;
}
