import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreatedApiKey, DeclaredDevice, ErrorEnvelope, Me } from '@citus/contracts';
import { ConfigError, createLogger, remotePortal } from '@citus/kit';
import { startServices } from '../src/index.js';
import { ServiceProcesses, type StartedProcess } from './support/service-processes.js';
import { ADMIN_PASSWORD, Api, declareAndActivate } from './support/test-platform.js';

const TOKEN = 'split-test-service-token-0123456789abcdef';
const DEVICE_PLANE = 'device-lifecycle,iot-hub,indexer,analytics';

const processes = new ServiceProcesses();
const start = (env: Record<string, string>) => processes.start(env);
type Started = StartedProcess;

const codeOf = (response: { status: number; body: unknown }) => [response.status, (response.body as ErrorEnvelope).error?.code];

async function withKey(baseUrl: string, key: string, path: string): Promise<number> {
  return (await fetch(`${baseUrl}${path}`, { headers: { 'x-api-key': key } })).status;
}

// Issue 10 point 1, first step: the portal, the device plane and the app registry in processes of their own.
describe('services in processes of their own', () => {
  let portal: Started;
  let plane: Started;
  let apps: Started;
  let admin: Api;

  beforeAll(async () => {
    portal = await start({ CITUS_SERVICES: 'portal', CITUS_SERVICE_TOKEN: TOKEN, CITUS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    const remote = { CITUS_PORTAL_URL: portal.baseUrl, CITUS_SERVICE_TOKEN: TOKEN };
    // No cache here, so a revoked key is refused at once; the app registry keeps the default.
    plane = await start({ CITUS_SERVICES: DEVICE_PLANE, ...remote, CITUS_ACCESS_CACHE_SECONDS: '0' });
    apps = await start({ CITUS_SERVICES: 'app-registry', ...remote, DOCKER_HOST: 'unix:///nonexistent.sock' });
    admin = await Api.login(portal.baseUrl, 'admin', ADMIN_PASSWORD);
  });

  afterAll(() => processes.stopAll());

  it('runs only what each process was given, each on its own data', async () => {
    expect([portal.process.services, plane.process.services, apps.process.services]).toEqual([
      ['portal'],
      DEVICE_PLANE.split(','),
      ['app-registry'],
    ]);
    expect([portal.process.mqttPort, apps.process.mqttPort, typeof plane.process.mqttPort]).toEqual([undefined, undefined, 'number']);
    // The identity store and its signing key in the portal's dir; the device CA in the plane's only.
    expect([existsSync(join(portal.dataDir, 'identity.db')), existsSync(join(portal.dataDir, 'ca'))]).toEqual([true, false]);
    expect([existsSync(join(plane.dataDir, 'identity.db')), existsSync(join(plane.dataDir, 'ca'))]).toEqual([false, true]);
    expect([existsSync(join(apps.dataDir, 'apps.db')), existsSync(join(apps.dataDir, 'ca'))]).toEqual([true, false]);
    // Each serves its own routes, not the others'.
    expect((await admin.get('/api/v1/devices')).status).toBe(404);
    expect((await new Api(plane.baseUrl).get('/api/v1/apps')).status).toBe(404);
    for (const one of [portal, plane, apps]) expect((await fetch(`${one.baseUrl}/healthz`)).status).toBe(200);
  });

  it("accepts the portal's people on the other processes, with their roles", async () => {
    const token = (await new Api(portal.baseUrl).post<{ access_token: string }>('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD })).body.access_token;
    const onPlane = new Api(plane.baseUrl, token);
    const declared = await onPlane.post<DeclaredDevice>('/api/v1/devices', { name: 'split sensor' });
    expect(declared.status).toBe(201);
    // The device activates against the plane's own CA.
    const { activation } = await declareAndActivate(onPlane, 'split activated');
    expect(activation.certificatePem).toContain('BEGIN CERTIFICATE');
    const created = await new Api(apps.baseUrl, token).post<{ id: string }>('/api/v1/apps', {
      name: 'split-app',
      version: '1.0.0',
      description: 'made through the app registry process',
      category: 'utilities',
      image: 'citus-test/httpd:1',
    });
    expect(created.status).toBe(201);
    expect((await admin.get<Me>('/api/v1/me')).status).toBe(200);

    expect(codeOf(await new Api(plane.baseUrl, 'not.a.token').get('/api/v1/devices'))).toEqual([401, 'unauthorized']);
    expect(codeOf(await new Api(plane.baseUrl).get('/api/v1/devices'))).toEqual([401, 'unauthorized']);
    expect(codeOf(await new Api(plane.baseUrl, token, 'not-mine').get('/api/v1/devices'))).toEqual([404, 'not_found']);
  });

  it("accepts the portal's API keys within their scopes, and refuses one at once when revoked", async () => {
    const made = await admin.post<CreatedApiKey>('/api/v1/api-keys', { name: 'split reader', scopes: ['devices:read'] });
    expect(made.status).toBe(201);
    expect(await withKey(plane.baseUrl, made.body.key, '/api/v1/devices')).toBe(200);
    expect(await withKey(plane.baseUrl, made.body.key, '/api/v1/telemetry?thingName=x')).toBe(403);
    expect((await admin.delete(`/api/v1/api-keys/${made.body.id}`)).status).toBe(204);
    expect(await withKey(plane.baseUrl, made.body.key, '/api/v1/devices')).toBe(401);
  });

  it('issues and revokes app keys for a process without the portal', async () => {
    const workspaceId = (await admin.get<Me>('/api/v1/me')).body.memberships[0]!.workspaceId;
    const link = remotePortal({ url: portal.baseUrl, serviceToken: TOKEN, cacheSeconds: 0 });
    const issued = await link.appKeys.issueAppKey({ workspaceId, scopes: ['devices:read'], label: 'split app' });
    expect(await withKey(plane.baseUrl, issued.key, '/api/v1/devices')).toBe(200);
    await link.appKeys.revokeAppKey(issued.keyId);
    expect(await withKey(plane.baseUrl, issued.key, '/api/v1/devices')).toBe(401);
  });

  it('serves the internal API only to holders of the service token, and only where the portal runs', async () => {
    const ask = (baseUrl: string, headers: Record<string, string>, body: unknown) =>
      fetch(`${baseUrl}/internal/v1/access`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const valid = { apiKey: 'citus_apk_000000000000000000000000_' + 'a'.repeat(43) };
    expect((await ask(portal.baseUrl, {}, valid)).status).toBe(403);
    expect((await ask(portal.baseUrl, { 'x-citus-service-token': `${TOKEN}x` }, valid)).status).toBe(403);
    expect((await ask(portal.baseUrl, { 'x-citus-service-token': TOKEN }, { bearer: 'a', apiKey: 'b' })).status).toBe(400);
    expect((await ask(portal.baseUrl, { 'x-citus-service-token': TOKEN }, valid)).status).toBe(401);
    expect((await ask(plane.baseUrl, { 'x-citus-service-token': TOKEN }, valid)).status).toBe(404);
    const openApi = await (await fetch(`${portal.baseUrl}/api/v1/openapi.json`)).text();
    expect(openApi).not.toContain('/internal/');
  });

  it('refuses an over-long credential as one process would (401), without asking the portal', async () => {
    // (An over-long bearer token does not get this far: Node refuses headers over 16 KiB with 431.)
    const overlong = await fetch(`${apps.baseUrl}/api/v1/apps`, { headers: { 'x-api-key': `citus_${'k'.repeat(300)}` } });
    expect([overlong.status, ((await overlong.json()) as ErrorEnvelope).error.message]).toEqual([401, 'invalid, revoked or expired API key']);
  });

  it("answers 503 naming the cause when the portal refuses the process's token or cannot be reached", async () => {
    const token = (await new Api(portal.baseUrl).post<{ access_token: string }>('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD })).body.access_token;
    const stranger = await start({ CITUS_SERVICES: 'app-registry', CITUS_PORTAL_URL: portal.baseUrl, CITUS_SERVICE_TOKEN: `${TOKEN}-other` });
    const refused = await new Api(stranger.baseUrl, token).get<ErrorEnvelope>('/api/v1/apps');
    expect([refused.status, refused.body.error.message]).toEqual([503, expect.stringContaining('CITUS_SERVICE_TOKEN must be the same in every process')]);
    const orphan = await start({ CITUS_SERVICES: 'app-registry', CITUS_PORTAL_URL: 'http://127.0.0.1:9', CITUS_SERVICE_TOKEN: TOKEN });
    const unreachable = await new Api(orphan.baseUrl, token).get<ErrorEnvelope>('/api/v1/apps');
    expect([unreachable.status, unreachable.body.error.message]).toEqual([503, expect.stringContaining('the portal cannot be reached at http://127.0.0.1:9')]);
  });

  it('refuses a split it cannot run, naming the setting', async () => {
    const problems = async (env: Record<string, string>) => {
      try {
        await startServices({ PORT: '0', CITUS_DATA_DIR: join(tmpdir(), 'citus-split-never'), ...env }, createLogger({ level: 'silent' }));
      } catch (error) {
        if (error instanceof ConfigError) return error.problems.join('\n');
        throw error;
      }
      throw new Error('started');
    };
    expect(await problems({ CITUS_SERVICES: 'iot-hub', CITUS_PORTAL_URL: 'http://portal:8080', CITUS_SERVICE_TOKEN: TOKEN })).toMatch(/iot-hub runs apart from device-lifecycle only with CITUS_REGISTRY_STORE=dynamodb[^]*CITUS_DEVICE_REGISTRY_URL: required/);
    expect(await problems({ CITUS_SERVICES: 'portal,iot-hub' })).toMatch(/CITUS_SERVICE_TOKEN: required when CITUS_SERVICES names only some services/);
    // Beside the registry but apart from the hub: the telemetry stream is still needed.
    const registryBeside = { CITUS_SERVICES: 'device-lifecycle,indexer', CITUS_PORTAL_URL: 'http://portal:8080', CITUS_SERVICE_TOKEN: TOKEN };
    expect(await problems({ ...registryBeside, CITUS_REGISTRY_STORE: 'dynamodb', AWS_REGION: 'eu-west-1', CITUS_DEVICE_PLANE_URL: 'http://hub:8080' })).toMatch(
      /indexer runs apart from iot-hub only with CITUS_TELEMETRY_STORE=dynamodb/,
    );
    expect(await problems({ CITUS_SERVICES: 'indexer', CITUS_PORTAL_URL: 'http://portal:8080', CITUS_SERVICE_TOKEN: TOKEN })).toMatch(/indexer runs apart from device-lifecycle only with CITUS_TELEMETRY_STORE=dynamodb/);
    expect(await problems({ CITUS_SERVICES: 'analytics', CITUS_PORTAL_URL: 'http://portal:8080', CITUS_SERVICE_TOKEN: TOKEN, CITUS_TELEMETRY_STORE: 'dynamodb', AWS_REGION: 'eu-west-1' })).toMatch(/CITUS_DEVICE_PLANE_URL: required/);
    expect(await problems({ CITUS_SERVICES: 'app-registry' })).toMatch(/CITUS_PORTAL_URL.*required when CITUS_SERVICES leaves out portal/s);
    expect(await problems({ CITUS_SERVICES: 'app-registry', CITUS_PORTAL_URL: 'http://portal:8080' })).toMatch(/CITUS_SERVICE_TOKEN/);
    expect(await problems({ CITUS_SERVICES: 'portal,bogus' })).toMatch(/one of portal, device-lifecycle/);
    expect(await problems({ CITUS_SERVICES: 'portal', CITUS_SERVICE_TOKEN: 'short' })).toMatch(/at least 32 characters/);
  });
});
