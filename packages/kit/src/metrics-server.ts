import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ErrorCode, ErrorEnvelope } from '@citus/contracts';
import { STATUS_BY_CODE } from './errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface MetricsServerOptions {
  port: number;
  host: string;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string;
  logger: Logger;
}

export interface MetricsServer {
  /** The port bound (differs from the option when it asks for port 0). */
  port: number;
  close(): Promise<void>;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Compares digests, not the strings: `timingSafeEqual` needs equal lengths, and comparing the
 * lengths first would tell a caller how long the token is.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (\S+)$/i.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token));
}

function answerError(res: ServerResponse, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  const body: ErrorEnvelope = { error: { code, message, requestId: randomUUID() } };
  res.writeHead(STATUS_BY_CODE[code], { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/**
 * `GET /metrics` on a listener of its own, apart from the API: Prometheus scrapes it directly, so
 * it is neither in the route table nor behind the API gateway. Nothing else is served there.
 */
export async function serveMetrics(metrics: Metrics, options: MetricsServerOptions): Promise<MetricsServer> {
  const log = options.logger.child({ module: 'metrics' });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') return answerError(res, 'not_found', 'no such route');
    if (req.method !== 'GET' && req.method !== 'HEAD') return answerError(res, 'not_found', 'no such route');
    if (options.token !== undefined && !bearerMatches(req.headers.authorization, options.token)) {
      return answerError(res, 'unauthorized', 'a bearer token is required', { 'www-authenticate': 'Bearer realm="metrics"' });
    }
    const { contentType, body } = await metrics.exposition();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'metrics scrape failed');
      if (!res.headersSent) answerError(res, 'internal', 'internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ port, host: options.host, tokenRequired: options.token !== undefined }, 'Prometheus metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
