/** What a probe found: healthy, or a short reason (`answered 503`, `no answer (ECONNREFUSED)`). */
export type HealthProbeResult = { healthy: true } | { healthy: false; detail: string };

/**
 * Port: asks a deployment's app, on 127.0.0.1:`hostPort` where the engine publishes it, whether it
 * is healthy: `GET path` answered with 2xx within `timeoutMs`. The platform probes rather than the
 * engine, which could only run a command inside an image it knows nothing about (see deployment-spec.ts).
 */
export interface AppHealthProbe {
  probe(hostPort: number, path: string, timeoutMs: number): Promise<HealthProbeResult>;
}
