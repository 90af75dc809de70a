import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { ConfigError, createLogger } from '@citus/kit';
import { loadConfig, startPlatform } from '../src/index.js';
import { closedBy, connectMqtt, reading } from './support/devices.js';
import { Api, ADMIN_PASSWORD, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

const TOKEN = 'metrics-scrape-token-6f1c2a9e';

/** The value of one series in an exposition, found by its name and label set as printed. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

// Issue 10 point 5: Prometheus metrics of a real embedded platform, scraped from their own listener.
describe('Prometheus metrics', () => {
  const logged: string[] = [];
  let platform: TestPlatform & { metricsPort: number };
  let admin: Api;
  let kitchen: ActivatedDevice;
  let porch: ActivatedDevice;
  let device: MqttClient;
  let person: MqttClient;

  const scrape = (headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`http://127.0.0.1:${platform.metricsPort}/metrics`, { headers });
  const metricsText = async () => {
    const response = await scrape();
    expect(response.status).toBe(200);
    return response.text();
  };
  /** Scrapes until a series shows the value: the hub counts a disconnect once the socket has closed. */
  const eventually = async (series: string, value: number) => {
    for (let tries = 0; tries < 50; tries++) {
      if (sample(await metricsText(), series) === value) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([series, sample(await metricsText(), series)]).toEqual([series, value]);
  };

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'citus-metrics-'));
    const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void logged.push(line) } });
    const started = await startPlatform(
      {
        PORT: '0',
        HOST: '127.0.0.1',
        MQTT_TLS_PORT: '0',
        MQTT_HOST: '127.0.0.1',
        CITUS_DATA_DIR: dataDir,
        CITUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
        METRICS_PORT: '0',
        CITUS_METRICS_TOKEN: TOKEN,
      },
      logger,
    );
    if (started.metricsPort === undefined) throw new Error('no metrics listener although METRICS_PORT is set');
    platform = {
      ...started,
      metricsPort: started.metricsPort,
      baseUrl: `http://127.0.0.1:${started.httpPort}`,
      async destroy() {
        await started.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    kitchen = await declareAndActivate(admin, 'Kitchen');
    porch = await declareAndActivate(admin, 'Porch');
  });
  afterAll(async () => {
    await device?.endAsync();
    await person?.endAsync();
    await platform?.destroy();
  });

  it('answers 401 to a scrape without the token or with another one', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer metrics-scrape-token-wrong000' }];
    for (const headers of attempts) {
      const response = await scrape(headers);
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain('citus_');
    }
  });

  it('is not served on the API port', async () => {
    const response = await new Api(platform.baseUrl).get('/metrics');
    expect(response.status).toBe(404);
    const withToken = await fetch(`${platform.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(withToken.status).toBe(404);
  });

  it('counts telemetry by outcome, times PUBACKs and counts connections by transport', async () => {
    device = await connectMqtt(platform, kitchen);
    const token = (await admin.post<{ access_token: string }>('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD })).body.access_token;
    person = await connectAsync(`ws://127.0.0.1:${platform.httpPort}/mqtt`, {
      clientId: 'console-metrics',
      username: 'default',
      password: token,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    for (let i = 0; i < 3; i++) await device.publishAsync(`telemetry/${kitchen.device.thingName}`, reading({ value: i }), { qos: 1 });
    await device.publishAsync(`telemetry/${kitchen.device.thingName}`, 'not json', { qos: 1 });
    // Another device's telemetry topic: refused, and the connection closed (MQTT 3.1.1).
    const intruder = await connectMqtt(platform, porch);
    intruder.on('error', () => undefined);
    intruder.publish(`telemetry/${kitchen.device.thingName}`, reading(), { qos: 1 });
    await closedBy(intruder);

    await eventually('citus_mqtt_disconnects_total{transport="tls"}', 1);
    const text = await metricsText();
    expect(sample(text, 'citus_ingest_messages_total{outcome="stored"}')).toBe(3);
    expect(sample(text, 'citus_ingest_messages_total{outcome="dead_lettered"}')).toBe(1);
    expect(sample(text, 'citus_ingest_messages_total{outcome="refused"}')).toBe(1);
    expect(sample(text, 'citus_ingest_messages_total{outcome="failed"}')).toBe(0);
    expect(sample(text, 'citus_mqtt_puback_latency_seconds_count')).toBe(4);
    expect(sample(text, 'citus_mqtt_puback_latency_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(sample(text, 'citus_mqtt_puback_latency_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'citus_mqtt_connected_clients{transport="tls"}')).toBe(1);
    expect(sample(text, 'citus_mqtt_connected_clients{transport="websocket"}')).toBe(1);
    expect(sample(text, 'citus_mqtt_connects_total{transport="tls"}')).toBe(2);
    expect(sample(text, 'citus_mqtt_connects_total{transport="websocket"}')).toBe(1);
    expect(sample(text, 'citus_mqtt_disconnects_total{transport="websocket"}')).toBe(0);
    expect(text).toContain('# TYPE citus_mqtt_puback_latency_seconds histogram');
  });

  it('times HTTP requests by route template and counts their error codes', async () => {
    expect((await admin.get(`/api/v1/devices/${kitchen.device.id}`)).status).toBe(200);
    expect((await admin.get('/api/v1/devices/dev_000000000000000000000000')).status).toBe(404);
    const text = await metricsText();
    const series = (statusClass: string) =>
      `citus_http_request_duration_seconds_count{method="GET",route="/api/v1/devices/{id}",status_class="${statusClass}"}`;
    expect(sample(text, series('2xx'))).toBe(1);
    expect(sample(text, series('4xx'))).toBe(1);
    expect(sample(text, 'citus_http_errors_total{code="not_found"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'citus_http_request_duration_seconds_count{method="POST",route="/api/v1/devices",status_class="2xx"}')).toBe(2);
    // Labels are templates only: no device's id or thing name becomes a series.
    for (const raw of [kitchen.device.id, kitchen.device.thingName, 'dev_000000000000000000000000']) expect(text).not.toContain(raw);
  });

  it('reads the change feed consumers\' lag and the process metrics at scrape time', async () => {
    const text = await metricsText();
    for (const consumer of ['indexer', 'analytics']) {
      const lag = sample(text, `citus_change_feed_lag_seconds{consumer="${consumer}"}`);
      expect([consumer, typeof lag, (lag ?? -1) >= 0]).toEqual([consumer, 'number', true]);
    }
    expect(text).toContain('# TYPE citus_change_feed_lag_seconds gauge');
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('counts topic rule deliveries by outcome and what waits', async () => {
    const created = await admin.post('/api/v1/rules', {
      name: 'metered',
      sql: "SELECT * FROM 'telemetry/+' WHERE metered = true",
      actions: [{ republish: { topic: `things/${kitchen.device.thingName}/metered` } }, { republish: { topic: 'things/no-such-thing/metered' } }],
    });
    expect(created.status).toBe(201);
    // A republish no client subscribes to: done at once, with nothing sent.
    const unheard = await admin.post('/api/v1/rules', {
      name: 'metered_unheard',
      sql: "SELECT * FROM 'telemetry/+' WHERE metered = true",
      actions: [{ republish: { topic: `things/${kitchen.device.thingName}/nobody-listens` } }],
    });
    expect(unheard.status).toBe(201);
    await device.publishAsync(`telemetry/${kitchen.device.thingName}`, reading({ metered: true }), { qos: 1 });
    await eventually('citus_rule_deliveries_total{outcome="delivered"}', 2);
    const text = await metricsText();
    expect(sample(text, 'citus_rule_deliveries_total{outcome="unheard"}')).toBe(1);
    // The second republish names no thing of the workspace: it fails for good, at once.
    expect(sample(text, 'citus_rule_deliveries_total{outcome="action_failed"}')).toBe(1);
    expect(sample(text, 'citus_rule_deliveries_total{outcome="error_action"}')).toBe(0);
    expect(sample(text, 'citus_rule_deliveries_pending')).toBe(0);
  });

  it('never writes the token to the log', () => {
    expect(logged.join('')).toContain('Prometheus metrics listening');
    expect(logged.join('')).not.toContain(TOKEN);
  });
});

describe('metrics configuration', () => {
  it('serves no metrics unless METRICS_PORT is set, and on loopback by default', () => {
    const config = loadConfig({}).embedded;
    expect(config.METRICS_PORT).toBeUndefined();
    expect(config.METRICS_HOST).toBe('127.0.0.1');
  });

  it('refuses metrics beyond loopback without a token, and a short token', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems;
      }
    };
    expect(problems({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })).toEqual([expect.stringMatching(/^CITUS_METRICS_TOKEN: required when METRICS_HOST/)]);
    expect(problems({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', CITUS_METRICS_TOKEN: TOKEN })).toEqual([]);
    expect(problems({ METRICS_PORT: '9464', CITUS_METRICS_TOKEN: 'short' })).toEqual([expect.stringMatching(/^CITUS_METRICS_TOKEN: at least 16/)]);
  });
});
