import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_ROUTES, ApiKeyList, CreatedApiKey, TelemetryPage, type ApiKey, type ErrorEnvelope } from '@citus/contracts';
import { createLogger } from '@citus/kit';
import { startPlatform } from '../src/index.js';
import { connectMqtt } from './support/devices.js';
import { ADMIN_PASSWORD, Api, declareAndActivate, type ActivatedDevice, type ApiResponse, type TestPlatform } from './support/test-platform.js';

/** Calls the API with an API key in its header, as a script would. */
async function withKey<T = unknown>(baseUrl: string, key: string, path: string, init: RequestInit = {}): Promise<ApiResponse<T>> {
  const response = await fetch(`${baseUrl}${path}`, { ...init, headers: { 'x-api-key': key, ...init.headers } });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : text) as T, headers: response.headers };
}

const codeOf = (response: ApiResponse) => [response.status, (response.body as ErrorEnvelope).error?.code];

// DESIGN "Identity and access": API keys shown once, stored hashed, scoped, revocable, in a header only.
describe('API keys through the embedded platform', () => {
  const logged: string[] = [];
  const keys: string[] = [];
  let platform: TestPlatform;
  let baseUrl: string;
  let admin: Api;
  let pump: ActivatedDevice;
  let theirThing: string;
  let created: CreatedApiKey;

  const createKey = async (body: Record<string, unknown>, api = admin): Promise<CreatedApiKey> => {
    const response = await api.post<CreatedApiKey>('/api/v1/api-keys', body);
    expect(response.status).toBe(201);
    keys.push(response.body.key);
    return CreatedApiKey.parse(response.body);
  };

  beforeAll(async () => {
    // bootTestPlatform's set-up, with every line the platform logs (at debug) kept to check that no key is in any.
    const dataDir = mkdtempSync(join(tmpdir(), 'citus-keys-'));
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logged.push(line) } });
    const started = await startPlatform(
      { PORT: '0', HOST: '127.0.0.1', MQTT_TLS_PORT: '0', MQTT_HOST: '127.0.0.1', CITUS_DATA_DIR: dataDir, CITUS_ADMIN_PASSWORD: ADMIN_PASSWORD },
      logger,
    );
    baseUrl = `http://127.0.0.1:${started.httpPort}`;
    platform = {
      ...started,
      baseUrl,
      async destroy() {
        await started.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    admin = await Api.login(baseUrl, 'admin', ADMIN_PASSWORD);
    expect((await admin.post('/api/v1/workspaces', { slug: 'theirs', name: 'Theirs' })).status).toBe(201);
    pump = await declareAndActivate(admin, 'Pump');
    theirThing = (await declareAndActivate(admin.inWorkspace('theirs'), 'Their pump')).device.thingName;
    const client = await connectMqtt(platform, pump);
    await client.publishAsync(`telemetry/${pump.device.thingName}`, JSON.stringify({ value: 7 }), { qos: 1 });
    await client.endAsync();
    created = await createKey({ name: 'nightly export', scopes: ['telemetry:read'] });
  });
  afterAll(() => platform.destroy());

  it('shows the key once, and lists it without it', async () => {
    expect(created).toMatchObject({ name: 'nightly export', scopes: ['telemetry:read'], expiresAt: null, revokedAt: null });
    const list = await admin.get<ApiKeyList>('/api/v1/api-keys');
    expect(list.status).toBe(200);
    const listed = ApiKeyList.parse(list.body).items.find((key: ApiKey) => key.id === created.id);
    expect(listed).toEqual({ ...created, key: undefined });
    expect(JSON.stringify(list.body)).not.toContain(created.key);
    expect(JSON.stringify(list.body)).not.toContain(created.key.slice(-43));
    expect((await admin.inWorkspace('theirs').get<ApiKeyList>('/api/v1/api-keys')).body.items).toEqual([]);
  });

  it('reads the telemetry of its workspace', async () => {
    const response = await withKey<TelemetryPage>(baseUrl, created.key, `/api/v1/telemetry?thingName=${pump.device.thingName}`);
    expect(response.status).toBe(200);
    expect(TelemetryPage.parse(response.body).items).toEqual([expect.objectContaining({ payload: { value: 7 } })]);
  });

  it('answers 404 for a thing of another workspace, or for naming another workspace', async () => {
    expect(codeOf(await withKey(baseUrl, created.key, `/api/v1/telemetry?thingName=${theirThing}`))).toEqual([404, 'not_found']);
    const named = { headers: { 'x-citus-workspace': 'theirs' } };
    expect(codeOf(await withKey(baseUrl, created.key, `/api/v1/telemetry?thingName=${theirThing}`, named))).toEqual([404, 'not_found']);
  });

  it('answers 403 on routes outside its scopes, and on those that take no key at all', async () => {
    expect(codeOf(await withKey(baseUrl, created.key, '/api/v1/devices'))).toEqual([403, 'forbidden']);
    expect(codeOf(await withKey(baseUrl, created.key, `/api/v1/things/${pump.device.thingName}/shadow`))).toEqual([403, 'forbidden']);
    expect(codeOf(await withKey(baseUrl, created.key, '/api/v1/me'))).toEqual([403, 'forbidden']);
    expect(codeOf(await withKey(baseUrl, created.key, '/api/v1/api-keys'))).toEqual([403, 'forbidden']);
    const declare = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'By key' }) };
    expect(codeOf(await withKey(baseUrl, created.key, '/api/v1/devices', declare))).toEqual([403, 'forbidden']);
    const reader = await createKey({ name: 'fleet reader', scopes: ['devices:read'] });
    expect((await withKey(baseUrl, reader.key, '/api/v1/devices')).status).toBe(200);
    expect(codeOf(await withKey(baseUrl, reader.key, `/api/v1/telemetry?thingName=${pump.device.thingName}`))).toEqual([403, 'forbidden']);
  });

  it('reads jobs with jobs:read, and creates and cancels them only with jobs:write', async () => {
    const reader = await createKey({ name: 'job watcher', scopes: ['jobs:read'] });
    const writer = await createKey({ name: 'job runner', scopes: ['jobs:read', 'jobs:write'] });
    expect((await withKey(baseUrl, reader.key, '/api/v1/jobs')).status).toBe(200);
    expect((await withKey(baseUrl, created.key, '/api/v1/jobs')).status).toBe(403);
    const post = (key: string, path: string, body: unknown) =>
      withKey<{ jobId: string; status: string }>(baseUrl, key, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const job = { targets: [pump.device.thingName], document: { operation: 'reboot' } };
    expect(codeOf(await post(reader.key, '/api/v1/jobs', job))).toEqual([403, 'forbidden']);
    const made = await post(writer.key, '/api/v1/jobs', job);
    expect(made.status).toBe(201);
    const cancel = `/api/v1/jobs/${made.body.jobId}/cancel`;
    expect(codeOf(await post(reader.key, cancel, {}))).toEqual([403, 'forbidden']);
    const canceled = await post(writer.key, cancel, {});
    expect([canceled.status, canceled.body.status]).toEqual([200, 'CANCELED']);
    // In another workspace, the scope grants nothing.
    const elsewhere = await withKey(baseUrl, writer.key, '/api/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-citus-workspace': 'theirs' },
      body: JSON.stringify(job),
    });
    expect(elsewhere.status).toBe(404);
  });

  // The route table's apiKeyScope (what the OpenAPI document tells clients) is what the routes apply.
  it('is let in exactly by the scope each route of the API table names', async () => {
    const keyed = API_ROUTES.filter((route) => route.apiKeyScope !== undefined);
    expect(keyed.length).toBeGreaterThan(0);
    const allScopes = [...new Set(keyed.map((route) => route.apiKeyScope as string))];
    const every = await createKey({ name: 'every scope', scopes: allScopes });
    for (const route of keyed) {
      const path = route.path.replace(/\{[^}]+\}/g, 'no-such-thing');
      const without = await createKey({ name: `all but ${route.apiKeyScope}`, scopes: allScopes.filter((scope) => scope !== route.apiKeyScope) });
      const init = { method: route.method.toUpperCase(), headers: { 'content-type': 'application/json' }, ...(route.method === 'get' || route.method === 'delete' ? {} : { body: '{}' }) };
      const refused = await withKey<ErrorEnvelope>(baseUrl, without.key, path, init);
      expect([route.operationId, refused.status]).toEqual([route.operationId, 403]);
      const admitted = route.path.endsWith('/stream') ? undefined : await withKey<ErrorEnvelope>(baseUrl, every.key, path, init);
      if (admitted) expect([route.operationId, admitted.status === 403 || admitted.status === 401]).toEqual([route.operationId, false]);
    }
  });

  it('is made and revoked only by workspace admins', async () => {
    const me = await admin.post<{ id: string }>('/api/v1/users', { username: 'dora', password: 'dora-Passw0rd!' });
    expect((await admin.put('/api/v1/workspaces/default/members', { userId: me.body.id, role: 'user' })).status).toBe(200);
    const dora = await Api.login(baseUrl, 'dora', 'dora-Passw0rd!');
    expect(codeOf(await dora.post('/api/v1/api-keys', { name: 'mine', scopes: ['telemetry:read'] }))).toEqual([403, 'forbidden']);
    expect(codeOf(await dora.delete(`/api/v1/api-keys/${created.id}`))).toEqual([403, 'forbidden']);
    expect(codeOf(await admin.inWorkspace('theirs').delete(`/api/v1/api-keys/${created.id}`))).toEqual([404, 'not_found']);
    expect(codeOf(await admin.post('/api/v1/api-keys', { name: 'bad', scopes: ['everything'] }))).toEqual([400, 'bad_request']);
  });

  it('answers 401 once revoked', async () => {
    const doomed = await createKey({ name: 'doomed', scopes: ['telemetry:read'] });
    const path = `/api/v1/telemetry?thingName=${pump.device.thingName}`;
    expect((await withKey(baseUrl, doomed.key, path)).status).toBe(200);
    expect((await admin.delete(`/api/v1/api-keys/${doomed.id}`)).status).toBe(204);
    expect(codeOf(await withKey(baseUrl, doomed.key, path))).toEqual([401, 'unauthorized']);
    const listed = (await admin.get<ApiKeyList>('/api/v1/api-keys')).body.items.find((key) => key.id === doomed.id);
    expect(listed?.revokedAt).toEqual(expect.any(String));
  });

  it('answers 401 once expired', async () => {
    const brief = await createKey({ name: 'brief', scopes: ['telemetry:read'], expiresAt: new Date(Date.now() + 1_500).toISOString() });
    const path = `/api/v1/telemetry?thingName=${pump.device.thingName}`;
    expect((await withKey(baseUrl, brief.key, path)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(codeOf(await withKey(baseUrl, brief.key, path))).toEqual([401, 'unauthorized']);
    const past = { name: 'past', scopes: ['telemetry:read'], expiresAt: new Date(Date.now() - 1_000).toISOString() };
    expect(codeOf(await admin.post('/api/v1/api-keys', past))).toEqual([400, 'bad_request']);
  });

  it('answers 400 for a key in the query string, without echoing it', async () => {
    const path = `/api/v1/telemetry?thingName=${pump.device.thingName}&api_key=${created.key}`;
    const response = await fetch(`${baseUrl}${path}`);
    const text = await response.text();
    expect([response.status, text.includes(created.key)]).toEqual([400, false]);
    expect(codeOf(await withKey(baseUrl, created.key, `/api/v1/devices?q=${created.key}`))).toEqual([400, 'bad_request']);
  });

  it('never logs a key', () => {
    expect(keys.length).toBeGreaterThanOrEqual(4);
    const text = logged.join('');
    // The key requests were logged (so the check below looks at them), the refused ones too.
    const requests = logged.map((line) => JSON.parse(line) as { req?: { path?: string }; res?: { statusCode?: number } });
    const telemetry = requests.filter((line) => line.req?.path === '/api/v1/telemetry').map((line) => line.res?.statusCode);
    expect(telemetry).toEqual(expect.arrayContaining([200, 400, 401, 403, 404]));
    for (const key of keys) {
      expect(text.includes(key)).toBe(false);
      expect(text.includes(key.slice(-43))).toBe(false);
    }
  });
});
