import { ErrorEnvelope } from '@citus/contracts';
import { Metrics } from '../src/metrics.js';
import { bearerMatches, serveMetrics, type MetricsServer } from '../src/metrics-server.js';
import { captureLogger, type CapturedLogger } from './support/capture-logger.js';

const TOKEN = 'scrape-token-0123456789abcdef';

describe('bearerMatches', () => {
  it('accepts the token as a bearer credential only', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerMatches(`Basic ${TOKEN}`, TOKEN)).toBe(false);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('Bearer ', TOKEN)).toBe(false);
  });
});

describe('serveMetrics', () => {
  let log: CapturedLogger;
  let server: MetricsServer;
  let url: string;

  beforeAll(async () => {
    log = captureLogger('trace');
    const metrics = new Metrics({ processMetrics: false });
    metrics.counter('citus_test_scrapes_total', 'test').inc(3);
    server = await serveMetrics(metrics, { port: 0, host: '127.0.0.1', token: TOKEN, logger: log.logger });
    url = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.close());

  it('serves the text exposition to a scrape with the token', async () => {
    const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toContain('citus_test_scrapes_total 3');
  });

  it('answers 401 without the token or with another one', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer not-the-token-at-all' }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of attempts) {
      const response = await fetch(`${url}/metrics`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(ErrorEnvelope.parse(await response.json()).error.code).toBe('unauthorized');
    }
  });

  it('serves nothing else', async () => {
    for (const [method, path] of [['GET', '/'], ['GET', '/api/v1/devices'], ['POST', '/metrics']] as const) {
      const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
      expect([method, path, response.status]).toEqual([method, path, 404]);
      ErrorEnvelope.parse(await response.json());
    }
  });

  it('never writes the token to the log', () => {
    expect(log.lines().some((line) => line.msg === 'Prometheus metrics listening')).toBe(true);
    expect(log.text()).not.toContain(TOKEN);
  });
});
