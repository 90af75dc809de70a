import type { RequestHandler } from 'express';
import { API_ROUTES, type ErrorCode } from '@citus/contracts';
import type { Metrics } from './metrics.js';

/** The route label of a request outside the route table: web UI files, app proxies, unknown paths. */
export const OTHER_ROUTE = 'other';

interface TemplateNode {
  literals: Map<string, TemplateNode>;
  /** A `{name}` segment: any one non-empty segment. */
  param?: TemplateNode;
  /** The template ending here, by lower-case method. */
  templates: Map<string, string>;
}

const node = (): TemplateNode => ({ literals: new Map(), templates: new Map() });

/** The non-empty segments of a path, without its query string; express routes ignore case and a trailing slash. */
function segmentsOf(path: string): string[] {
  const end = path.indexOf('?');
  return (end === -1 ? path : path.slice(0, end)).split('/').filter((segment) => segment !== '');
}

/**
 * Which route-table template a request path belongs to, e.g. `/api/v1/devices/dev_1` ->
 * `/api/v1/devices/{id}`. Metric labels must come from a bounded set: the raw path would make one
 * series per device (a memory leak in every Prometheus client) and would carry a webhook's secret.
 * A literal segment wins over a parameter, so `/devices/search` is not taken for `/devices/{id}`.
 */
export class RouteTemplates {
  private readonly root = node();

  constructor(routes: Iterable<{ method: string; path: string }>) {
    for (const route of routes) {
      let at = this.root;
      for (const segment of segmentsOf(route.path)) {
        if (/^\{[^}]+\}$/.test(segment)) at = at.param ??= node();
        else {
          const key = segment.toLowerCase();
          const next = at.literals.get(key) ?? node();
          at.literals.set(key, next);
          at = next;
        }
      }
      at.templates.set(route.method.toLowerCase(), route.path);
    }
  }

  /** The template of `method path` (HEAD counts as GET), or undefined outside the table. */
  of(method: string, path: string): string | undefined {
    const verb = method.toLowerCase();
    return this.match(this.root, segmentsOf(path), 0, verb === 'head' ? 'get' : verb);
  }

  private match(at: TemplateNode, segments: string[], index: number, method: string): string | undefined {
    if (index === segments.length) return at.templates.get(method);
    const literal = at.literals.get((segments[index] as string).toLowerCase());
    const found = literal && this.match(literal, segments, index + 1, method);
    return found ?? (at.param && this.match(at.param, segments, index + 1, method));
  }
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The error code each answered error carried; set by the error handler, read when the response ends. */
const errorCodes = new WeakMap<object, ErrorCode>();

/** Records the error code a response answers with, for the errors counter. */
export function noteErrorCode(res: object, code: ErrorCode): void {
  errorCodes.set(res, code);
}

/**
 * Times every request, labelled by method, route template and status class, and counts the error
 * codes answered. A request's time runs until its response ends or its client goes away, so an
 * event stream counts once, with its whole length.
 */
export function httpMetrics(metrics: Metrics, routes: Iterable<{ method: string; path: string }> = API_ROUTES): RequestHandler {
  const templates = new RouteTemplates(routes);
  const duration = metrics.histogram('citus_http_request_duration_seconds', 'HTTP requests by method, route template and status class', [
    'method',
    'route',
    'status_class',
  ]);
  const errors = metrics.counter('citus_http_errors_total', 'HTTP error answers by error code', ['code']);
  return (req, res, next) => {
    const started = performance.now();
    res.once('close', () => {
      const code = errorCodes.get(res);
      if (code) errors.inc({ code });
      duration.observe(
        {
          method: METHODS.has(req.method) ? req.method : 'other',
          route: templates.of(req.method, req.originalUrl) ?? OTHER_ROUTE,
          status_class: `${Math.floor(res.statusCode / 100)}xx`,
        },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}
