import { Router } from 'express';
import { API_ROUTES } from '@citus/contracts';
import { AppError, notFound } from '../src/errors.js';
import { createHttpApp, finishHttpApp } from '../src/http.js';
import { OTHER_ROUTE, RouteTemplates } from '../src/http-metrics.js';
import { Metrics } from '../src/metrics.js';
import { captureLogger } from './support/capture-logger.js';
import { serve, type Running } from './support/http-server.js';

/** The value of one series in an exposition, found by its name and label set as printed. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('RouteTemplates', () => {
  const templates = new RouteTemplates([
    { method: 'get', path: '/api/v1/devices/{id}' },
    { method: 'delete', path: '/api/v1/devices/{id}' },
    { method: 'get', path: '/api/v1/devices/search' },
    { method: 'post', path: '/api/v1/devices/{id}/revoke' },
    { method: 'get', path: '/api/v1/apps/{appId}/versions/{version}/submit' },
  ]);

  it('labels a path with its template, never the path itself', () => {
    expect(templates.of('GET', '/api/v1/devices/dev_0123456789')).toBe('/api/v1/devices/{id}');
    expect(templates.of('POST', '/api/v1/devices/dev_0123456789/revoke')).toBe('/api/v1/devices/{id}/revoke');
    expect(templates.of('GET', '/api/v1/apps/app_1/versions/1.2.3/submit')).toBe('/api/v1/apps/{appId}/versions/{version}/submit');
  });

  it('prefers a literal segment to a parameter, and falls back to the parameter past it', () => {
    expect(templates.of('GET', '/api/v1/devices/search')).toBe('/api/v1/devices/search');
    expect(templates.of('DELETE', '/api/v1/devices/search')).toBe('/api/v1/devices/{id}');
  });

  it('ignores the query string, a trailing slash and case, as express routes do; HEAD is GET', () => {
    expect(templates.of('GET', '/api/v1/devices/dev_1?expand=all&token=x')).toBe('/api/v1/devices/{id}');
    expect(templates.of('GET', '/api/v1/devices/dev_1/')).toBe('/api/v1/devices/{id}');
    expect(templates.of('GET', '/API/V1/Devices/dev_1')).toBe('/api/v1/devices/{id}');
    expect(templates.of('HEAD', '/api/v1/devices/dev_1')).toBe('/api/v1/devices/{id}');
  });

  it('has no template for a path or method outside the table', () => {
    expect(templates.of('GET', '/api/v1/devices/dev_1/extra/segments')).toBeUndefined();
    expect(templates.of('PUT', '/api/v1/devices/dev_1')).toBeUndefined();
    expect(templates.of('GET', '/')).toBeUndefined();
    expect(templates.of('GET', '/api/v1/devices')).toBeUndefined();
  });

  it('finds every route of the API table from a concrete URL', () => {
    const all = new RouteTemplates(API_ROUTES);
    for (const route of API_ROUTES) {
      const url = route.path.replace(/\{([^}]+)\}/g, (_match, name: string) => `v_${name}_42`);
      expect([route.method, url, all.of(route.method, url)]).toEqual([route.method, url, route.path]);
    }
  });
});

describe('Metrics', () => {
  it('holds the Node.js process metrics under their usual names', async () => {
    const { body, contentType } = await new Metrics().exposition();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(body).toContain(`# TYPE ${name} `);
    }
    expect(body).toContain('# TYPE nodejs_gc_duration_seconds histogram');
  });

  it('refuses names without the citus_ prefix, and a _total on anything but a counter', () => {
    const metrics = new Metrics({ processMetrics: false });
    expect(() => metrics.counter('requests_total', 'no prefix')).toThrow(/citus_/);
    expect(() => metrics.counter('citus_requests', 'a counter without _total')).toThrow(/_total/);
    expect(() => metrics.histogram('citus_latency_seconds_total', 'a histogram with _total')).toThrow(/_total/);
    expect(() => metrics.gaugeOf('citus-lag', 'dashes', [], () => [])).toThrow(/citus_/);
  });

  it('reads counterOf and gaugeOf at scrape time, and drops series that are gone', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const totals = { stored: 0 };
    let consumers: Array<[string, number]> = [['indexer', 1500]];
    metrics.counterOf('citus_test_messages_total', 'test', ['outcome'], () => [[{ outcome: 'stored' }, totals.stored]]);
    metrics.gaugeOf('citus_test_lag_seconds', 'test', ['consumer'], () => consumers.map(([consumer, ms]) => [{ consumer }, ms / 1000] as const));
    let body = (await metrics.exposition()).body;
    expect(sample(body, 'citus_test_messages_total{outcome="stored"}')).toBe(0);
    expect(sample(body, 'citus_test_lag_seconds{consumer="indexer"}')).toBe(1.5);
    totals.stored = 7;
    consumers = [['analytics', 0]];
    body = (await metrics.exposition()).body;
    expect(sample(body, 'citus_test_messages_total{outcome="stored"}')).toBe(7);
    expect(sample(body, 'citus_test_lag_seconds{consumer="analytics"}')).toBe(0);
    expect(body).not.toContain('consumer="indexer"');
  });
});

describe('HTTP metrics', () => {
  let server: Running;
  let metrics: Metrics;

  beforeAll(async () => {
    metrics = new Metrics({ processMetrics: false });
    const app = createHttpApp({ logger: captureLogger('silent').logger, metrics });
    // Nested routers, as the services mount theirs: the label must still be the whole template.
    const devices = Router();
    devices.get('/devices/:id', (req, res) => {
      if (req.params.id === 'dev_missing') throw notFound('device');
      res.json({ id: req.params.id });
    });
    devices.delete('/devices/:id', () => {
      throw new AppError('forbidden', 'not yours');
    });
    const hooks = Router();
    hooks.post('/hooks/apps/:hookId/:secret', (_req, res) => {
      res.status(202).end();
    });
    app.use('/api/v1', Router().use(devices));
    app.use(hooks);
    finishHttpApp(app);
    server = await serve(app);
  });
  afterAll(() => server.close());

  const scrape = async () => (await metrics.exposition()).body;

  it('times requests by method, route template and status class, and counts error codes', async () => {
    for (const id of ['dev_1', 'dev_2', 'dev_missing']) await (await fetch(`${server.url}/api/v1/devices/${id}`)).text();
    await (await fetch(`${server.url}/api/v1/devices/dev_1`, { method: 'DELETE' })).text();
    await (await fetch(`${server.url}/no/such/thing`)).text();
    const body = await scrape();
    expect(sample(body, 'citus_http_request_duration_seconds_count{method="GET",route="/api/v1/devices/{id}",status_class="2xx"}')).toBe(2);
    expect(sample(body, 'citus_http_request_duration_seconds_count{method="GET",route="/api/v1/devices/{id}",status_class="4xx"}')).toBe(1);
    expect(sample(body, 'citus_http_request_duration_seconds_count{method="DELETE",route="/api/v1/devices/{id}",status_class="4xx"}')).toBe(1);
    expect(sample(body, `citus_http_request_duration_seconds_count{method="GET",route="${OTHER_ROUTE}",status_class="4xx"}`)).toBe(1);
    expect(sample(body, 'citus_http_errors_total{code="not_found"}')).toBe(2);
    expect(sample(body, 'citus_http_errors_total{code="forbidden"}')).toBe(1);
    expect(body).not.toContain('dev_1');
    expect(body).not.toContain('/no/such');
  });

  it('keeps a secret in the path out of the labels', async () => {
    const response = await fetch(`${server.url}/hooks/apps/hook_1/s3cr3t-in-the-path`, { method: 'POST' });
    expect(response.status).toBe(202);
    const body = await scrape();
    expect(sample(body, 'citus_http_request_duration_seconds_count{method="POST",route="/hooks/apps/{hookId}/{secret}",status_class="2xx"}')).toBe(1);
    expect(body).not.toContain('s3cr3t');
  });
});
