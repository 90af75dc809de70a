import type { AppHealthProbe, HealthProbeResult } from '../../domain/app-health.port.js';
import type { Endpoint } from '../../domain/container-runtime.port.js';

/**
 * Probes with `fetch` where the proxy reaches the replica. Redirects are not followed (`redirect: 'manual'`), so a
 * check never reaches another host; a 3xx is not healthy. `connection: close` keeps no pooled
 * socket to an app whose container may be gone by the next probe.
 */
export class FetchAppHealthProbe implements AppHealthProbe {
  async probe(endpoint: Endpoint, path: string, timeoutMs: number): Promise<HealthProbeResult> {
    const origin = `${endpoint.host}:${endpoint.port}`;
    const url = new URL(`http://${origin}${path}`);
    // The manifest's path is validated as an absolute path, but the URL is the last word.
    if (url.host !== origin) return { healthy: false, detail: `${path} is not a path on the app` };
    try {
      const response = await fetch(url, { redirect: 'manual', headers: { connection: 'close' }, signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      return response.status >= 200 && response.status < 300 ? { healthy: true } : { healthy: false, detail: `answered ${response.status}` };
    } catch (error) {
      return { healthy: false, detail: noAnswer(error, timeoutMs) };
    }
  }
}

/**
 * Why no response came: the timeout, or the socket's error code (`ECONNREFUSED`, `ECONNRESET`).
 * Read by shape, not `instanceof`: fetch's errors may come from another realm (a test's VM context).
 */
function noAnswer(error: unknown, timeoutMs: number): string {
  const { name, cause } = (error ?? {}) as { name?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const reason = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : String(error);
  return `no answer (${reason})`;
}
