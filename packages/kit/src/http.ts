import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { pinoHttp } from 'pino-http';
import { z } from 'zod';
import type { ErrorEnvelope } from '@citus/contracts';
import { AppError } from './errors.js';
import { httpMetrics, noteErrorCode } from './http-metrics.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Webhook URLs `/hooks/{kind}/{id}/{secret}` carry their secret in the path, since senders such as
 * Docker Hub can set no header: whatever follows the id is left out of the log. So do devices'
 * release download links, `/api/v1/release-downloads/{token}`.
 */
const HOOK_PATH = /^(\/hooks\/[^/]+\/[^/]+\/|\/api\/v1\/release-downloads\/)[^?]+/i;

/** The path to log: without the query string (secrets never belong there, but a client may put one there anyway) or a hook's secret. */
export const loggedPath = (url: string): string => (url.split('?')[0] ?? '').replace(HOOK_PATH, '$1[redacted]');

export interface HttpAppOptions {
  logger: Logger;
  /** Largest JSON body accepted. */
  bodyLimit?: string;
  /** Where request durations and error codes are counted; none, none counted. */
  metrics?: Metrics;
  /**
   * The peers whose X-Forwarded-For sets `req.ip` (express's `trust proxy` list: addresses, CIDRs,
   * `loopback`, ...); loopback when not given. A list, never `true`, which would let every client
   * choose its own address.
   */
  trustProxy?: readonly string[];
}

/**
 * An express app with what every service needs: a request id on every log line (taken from a
 * sane `x-request-id` header or made here), JSON bodies with a size limit, no fingerprinting header.
 * Mount routes, then call `finishHttpApp`.
 */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy && options.trustProxy.length > 0 ? [...options.trustProxy] : 'loopback');
  if (options.metrics) app.use(httpMetrics(options.metrics));
  app.use(
    pinoHttp({
      logger: options.logger.child({ module: 'http' }),
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: loggedPath(req.url),
        }),
      },
    }),
  );
  app.use(express.json({ limit: options.bodyLimit ?? '256kb' }));
  return app;
}

/** Adds the 404 for unknown routes and the one error handler. Call after mounting routes. */
export function finishHttpApp(app: Express): void {
  app.use((_req, _res, next) => next(new AppError('not_found', 'no such route')));
  app.use(errorHandler);
}

export function requestId(req: { id?: unknown }): string {
  return typeof req.id === 'string' ? req.id : String(req.id ?? 'unknown');
}

function envelope(res: object, code: AppError['code'], message: string, id: string, details?: unknown): ErrorEnvelope {
  noteErrorCode(res, code);
  return { error: { code, message, requestId: id, ...(details === undefined ? {} : { details }) } };
}

/** Maps every error to the one envelope; only unknown errors become 500, and those are logged with their stack. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  // Once a response (an event stream, say) has started, only express can end it.
  if (res.headersSent) return next(error);
  const id = requestId(req);
  if (error instanceof AppError) {
    res.status(error.status).json(envelope(res, error.code, error.message, id, error.details));
    return;
  }
  if (error instanceof z.ZodError) {
    res.status(400).json(envelope(res, 'bad_request', 'invalid request', id, error.issues));
    return;
  }
  const bodyError = error as { type?: string; status?: number; expose?: boolean };
  if (bodyError.type === 'entity.too.large') {
    res.status(413).json(envelope(res, 'payload_too_large', 'request body too large', id));
    return;
  }
  if (bodyError.type === 'entity.parse.failed') {
    res.status(400).json(envelope(res, 'bad_request', 'request body is not valid JSON', id));
    return;
  }
  // Other body-parser refusals (unsupported charset or encoding, ...) are the client's mistake.
  if (bodyError.expose && bodyError.status && bodyError.status >= 400 && bodyError.status < 500 && error instanceof Error) {
    res.status(400).json(envelope(res, 'bad_request', error.message, id));
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  res.status(500).json(envelope(res, 'internal', 'internal error', id));
};

/** Parses a request part against a contract schema; a failure becomes a 400 with the issues. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError('bad_request', 'invalid request', result.error.issues);
  return result.data;
}

