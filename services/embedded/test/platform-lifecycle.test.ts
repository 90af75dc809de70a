import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelemetryPage } from '@citus/contracts';
import { ConfigError } from '@citus/kit';
import { loadConfig } from '../src/index.js';
import { connectMqtt, reading } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate } from './support/test-platform.js';

const MAIN = new URL('../dist/main.js', import.meta.url).pathname;

describe('the platform process', () => {
  it('reports every bad setting at once', () => {
    const attempt = () => loadConfig({ PORT: 'eighty', MQTT_TLS_PORT: '70000', CITUS_ADMIN_PASSWORD: 'short', AUTH0_DOMAIN: 'tenant.auth0.com' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'MQTT_TLS_PORT', 'CITUS_ADMIN_PASSWORD', 'AUTH0_AUDIENCE']) expect(problems).toContain(name);
    }
  });

  it('creates its CA on first start, keeps it across restarts and serves it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'citus-ca-'));
    try {
      const first = await bootTestPlatform({ CITUS_DATA_DIR: dataDir });
      const served = await (await fetch(`${first.baseUrl}/api/v1/ca.pem`)).text();
      await first.stop();
      expect(statSync(join(dataDir, 'ca', 'ca.key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'identity', 'token-signing.jwk')).mode & 0o777).toBe(0o600);
      const ca = new X509Certificate(served);
      expect(ca.ca).toBe(true);
      expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

      const second = await bootTestPlatform({ CITUS_DATA_DIR: dataDir });
      expect(await (await fetch(`${second.baseUrl}/api/v1/ca.pem`)).text()).toBe(served);
      const health = await fetch(`${second.baseUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', parts: { http: true, mqtt: true, indexer: true, analytics: true } });
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('without CITUS_ADMIN_PASSWORD, makes one and keeps it in a 0600 file, never in the log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'citus-admin-'));
    try {
      const platform = await bootTestPlatform({ CITUS_DATA_DIR: dataDir, CITUS_ADMIN_PASSWORD: '' });
      const file = join(dataDir, 'identity', 'initial-admin-password');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(20);
      const api = await Api.login(platform.baseUrl, 'admin', password);
      expect((await api.get('/api/v1/me')).status).toBe(200);
      await platform.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('serves the hub with a certificate for localhost and 127.0.0.1 from its CA', async () => {
    const platform = await bootTestPlatform({ CITUS_HUB_HOSTNAMES: 'hub.example.test' });
    try {
      const { connect } = await import('node:tls');
      const peer = await new Promise<X509Certificate>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: platform.mqttPort, ca: platform.caPem, servername: 'localhost' }, () => {
          resolve(socket.getPeerX509Certificate() as X509Certificate);
          socket.destroy();
        });
        socket.on('error', reject);
      });
      expect(peer.subjectAltName).toContain('DNS:localhost');
      expect(peer.subjectAltName).toContain('IP Address:127.0.0.1');
      expect(peer.subjectAltName).toContain('DNS:hub.example.test');
      expect(peer.checkIssued(new X509Certificate(platform.caPem))).toBe(true);
    } finally {
      await platform.destroy();
    }
  });

  it('on stop, finishes in-flight writes: every acknowledged message is stored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'citus-stop-'));
    try {
      const platform = await bootTestPlatform({ CITUS_DATA_DIR: dataDir });
      const api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
      const device = await declareAndActivate(api, 'Shutdown sensor');
      const client = await connectMqtt(platform, device);
      client.on('error', () => undefined);
      let acknowledged = 0;
      const sends = Array.from({ length: 2000 }, (_, i) =>
        client.publishAsync(`telemetry/${device.device.thingName}`, reading({ value: i }), { qos: 1 }).then(
          () => acknowledged++,
          () => undefined,
        ),
      );
      // Stop once the first acknowledgements are in, with most of the 2,000 still in flight: on a
      // loaded machine a fixed short wait could stop before any write was acknowledged.
      for (const deadline = Date.now() + 5_000; acknowledged === 0 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await platform.stop();
      client.end(true);
      await Promise.race([Promise.all(sends), new Promise((resolve) => setTimeout(resolve, 500))]);

      const restarted = await bootTestPlatform({ CITUS_DATA_DIR: dataDir });
      const admin = await Api.login(restarted.baseUrl, 'admin', ADMIN_PASSWORD);
      let count = 0;
      let path = `/api/v1/telemetry?thingName=${device.device.thingName}&limit=1000`;
      for (;;) {
        const page = await admin.get<TelemetryPage>(path);
        count += page.body.items.length;
        if (!page.body.next) break;
        path = `/api/v1/telemetry?thingName=${device.device.thingName}&limit=1000&cursor=${page.body.next}`;
      }
      await restarted.stop();
      expect(acknowledged).toBeGreaterThan(0);
      expect(count).toBeGreaterThanOrEqual(acknowledged);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('as a command (needs `npm run build`)', () => {
    beforeAll(() => {
      if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    });

    const run = (env: Record<string, string>) => {
      const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, exited, output: () => output };
    };

    it('exits with the list of problems on bad config', async () => {
      const { exited, output } = run({ PORT: 'x', MQTT_TLS_PORT: '-1' });
      expect(await exited).toBe(2);
      expect(output()).toMatch(/invalid configuration/);
      expect(output()).toMatch(/PORT/);
      expect(output()).toMatch(/MQTT_TLS_PORT/);
    });

    it('shuts down cleanly on SIGTERM and logs no secret', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'citus-main-'));
      try {
        const { child, exited, output } = run({
          PORT: '0',
          MQTT_TLS_PORT: '0',
          HOST: '127.0.0.1',
          MQTT_HOST: '127.0.0.1',
          CITUS_DATA_DIR: dataDir,
          CITUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
        });
        for (let i = 0; i < 100 && !output().includes('platform ready'); i++) await new Promise((r) => setTimeout(r, 100));
        const port = /"httpPort":(\d+)/.exec(output())?.[1];
        const api = await Api.login(`http://127.0.0.1:${port}`, 'admin', ADMIN_PASSWORD);
        await api.post('/api/v1/devices', { name: 'Logged' });
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        expect(output()).toContain('shutdown complete');
        expect(output()).not.toContain(ADMIN_PASSWORD);
        expect(output()).not.toMatch(/eyJ[\w-]+\.eyJ/); // no bearer token
        expect(readFileSync(join(dataDir, 'ca', 'ca.key'), 'utf8')).toContain('PRIVATE KEY');
        expect(output()).not.toContain(readFileSync(join(dataDir, 'ca', 'ca.key'), 'utf8').split('\n')[1] as string);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
