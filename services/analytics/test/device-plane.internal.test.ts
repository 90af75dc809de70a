import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INTERNAL_THING_NOT_FOUND, SERVICE_TOKEN_HEADER, type DeclaredDevice, type ErrorEnvelope, type Me, type TelemetryPage } from '@citus/contracts';
import { AppError, createLogger, EventBus, HealthRegistry, parseConfig, Shutdown } from '@citus/kit';
import { remoteDevicePlane } from '../src/adapters/device-plane/remote-device-plane.js';
import { AnalyticsConfig } from '../src/config.js';
import { createService, type AnalyticsContext } from '../src/service.js';
// The real device plane, as the launcher mounts it (test-only cross-service import).
import { ADMIN_PASSWORD, Api, bootTestPlatform, type TestPlatform } from '../../embedded/test/support/test-platform.js';

// What analytics asks of the device registry and the hub when it runs in a process of its own:
// the internal routes through real HTTP on the real platform, and analytics' adapters against them.
const TOKEN = 'device-plane-test-token-0123456789abcdef';
const OTHER_WORKSPACE = 'ws_not_this_one';

let platform: TestPlatform;
let admin: Api;
let workspaceId: string;
let thingName: string;

beforeAll(async () => {
  platform = await bootTestPlatform({ CITUS_SERVICE_TOKEN: TOKEN });
  admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
  workspaceId = (await admin.get<Me>('/api/v1/me')).body.memberships[0]!.workspaceId;
  const declared = await admin.post<DeclaredDevice>('/api/v1/devices', { name: 'internal sensor' });
  expect(declared.status).toBe(201);
  thingName = declared.body.thingName;
});
afterAll(() => platform?.destroy());

/** A request to the internal API; the service token unless `token` says otherwise (null: none). */
async function internal(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers[SERVICE_TOKEN_HEADER] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${platform.baseUrl}/internal/v1${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const errorOf = (response: { status: number; body: unknown }) => [response.status, (response.body as ErrorEnvelope).error?.code, (response.body as ErrorEnvelope).error?.message];
const session = (thing: string, workspace: string) => ({ clientId: 'citus-analytics', thingName: thing, workspaceId: workspace, certificateId: 'citus-analytics' });
const base64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

describe("the device plane's internal routes", () => {
  it('answer holders of the service token only', async () => {
    for (const token of [null, 'x'.repeat(40)]) {
      expect((await internal('GET', `/things/${thingName}`, undefined, token)).status).toBe(403);
      expect((await internal('POST', `/things/${thingName}/shadow`, { workspaceId, body: { state: { desired: { a: 1 } } } }, token)).status).toBe(403);
      expect((await internal('POST', '/telemetry', { session: session(thingName, workspaceId), topic: `telemetry/${thingName}`, payload: base64({ value: 1 }) }, token)).status).toBe(403);
    }
    // Nothing was written by the refused requests.
    expect((await admin.get(`/api/v1/things/${thingName}/shadow`)).status).toBe(404);
  });

  it("answer a thing's workspace, and 404 'thing not found' for none", async () => {
    expect(await internal('GET', `/things/${thingName}`)).toEqual({ status: 200, body: { workspaceId } });
    expect(errorOf(await internal('GET', '/things/no-such-thing'))).toEqual([404, 'not_found', INTERNAL_THING_NOT_FOUND]);
    expect(errorOf(await internal('GET', '/things/bad%20name'))[0]).toBe(400);
    // Told apart from a route no service serves.
    expect(errorOf(await internal('GET', `/things/${thingName}/nothing`))).toEqual([404, 'not_found', 'no such route']);
  });

  it("update the shadow of the workspace's thing, and refuse another workspace's as not found", async () => {
    const update = { body: { state: { desired: { fan: 'on' } } } };
    expect(errorOf(await internal('POST', `/things/${thingName}/shadow`, { workspaceId: OTHER_WORKSPACE, ...update }))).toEqual([404, 'not_found', INTERNAL_THING_NOT_FOUND]);
    expect(errorOf(await internal('POST', '/things/no-such-thing/shadow', { workspaceId, ...update }))[0]).toBe(404);
    expect((await admin.get(`/api/v1/things/${thingName}/shadow`)).status).toBe(404);

    const accepted = await internal('POST', `/things/${thingName}/shadow`, { workspaceId, ...update });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual(expect.objectContaining({ ok: true, value: expect.objectContaining({ state: { desired: { fan: 'on' } }, version: 1 }) }));
    const shadow = await admin.get<{ state: { desired: unknown } }>(`/api/v1/things/${thingName}/shadow`);
    expect(shadow.body.state.desired).toEqual({ fan: 'on' });
    // A named shadow is its own document.
    const named = await internal('POST', `/things/${thingName}/shadow`, { workspaceId, shadowName: 'alerts', ...update });
    expect(named.body).toEqual(expect.objectContaining({ ok: true }));
    expect((await admin.get(`/api/v1/things/${thingName}/shadow?name=alerts`)).status).toBe(200);

    // The shadow service's refusal is a value, as in one process; a malformed request is the caller's 400.
    const refused = await internal('POST', `/things/${thingName}/shadow`, { workspaceId, body: { state: 'not an object' } });
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({ ok: false, error: { code: 400, message: expect.any(String) } });
    expect(errorOf(await internal('POST', `/things/${thingName}/shadow`, { workspaceId, ...update, extra: true }))[0]).toBe(400);
  });

  it("store telemetry of the workspace's thing on its own topics only", async () => {
    const topic = `telemetry/${thingName}`;
    const message = { session: session(thingName, workspaceId), topic, payload: base64({ value: 41 }) };
    expect(errorOf(await internal('POST', '/telemetry', { ...message, session: session(thingName, OTHER_WORKSPACE) }))).toEqual([404, 'not_found', INTERNAL_THING_NOT_FOUND]);
    expect(errorOf(await internal('POST', '/telemetry', { ...message, topic: 'telemetry/someone-else' }))[0]).toBe(400);
    expect(errorOf(await internal('POST', '/telemetry', { ...message, payload: 'not base64!' }))[0]).toBe(400);

    expect(await internal('POST', '/telemetry', message)).toEqual({ status: 200, body: { kind: 'stored' } });
    expect(await internal('POST', '/telemetry', { ...message, payload: base64('not json') })).toEqual({ status: 200, body: { kind: 'dead-lettered' } });
    const page = await admin.get<TelemetryPage>(`/api/v1/telemetry?thingName=${thingName}`);
    expect(page.body.items.map((item) => item.payload.value)).toEqual([41]);
  });
});

describe("analytics' device plane adapters", () => {
  it('give the answers of one process: workspaces, shadow outcomes, stored telemetry', async () => {
    const plane = remoteDevicePlane({ url: platform.baseUrl, serviceToken: TOKEN });
    expect(await plane.things.workspaceOfThing(thingName)).toBe(workspaceId);
    expect(await plane.things.workspaceOfThing('no-such-thing')).toBeUndefined();

    const desired = { body: { state: { desired: { mode: 'eco' } } } };
    expect(await plane.shadows.update({ workspaceId: OTHER_WORKSPACE, thingName }, desired)).toEqual({ ok: false, error: { code: 404, message: expect.any(String) } });
    expect(await plane.shadows.update({ workspaceId, thingName, shadowName: 'adapter' }, desired)).toEqual(expect.objectContaining({ ok: true }));
    const shadow = await admin.get<{ state: { desired: unknown } }>(`/api/v1/things/${thingName}/shadow?name=adapter`);
    expect(shadow.body.state.desired).toEqual({ mode: 'eco' });

    const topic = `telemetry/${thingName}/adapter`;
    expect(await plane.ingest.ingest(session(thingName, workspaceId), topic, Buffer.from('{"value":7}'))).toEqual({ kind: 'stored' });
    await expect(plane.ingest.ingest(session(thingName, OTHER_WORKSPACE), topic, Buffer.from('{"value":8}'))).rejects.toMatchObject({ code: 'not_found' });
    const page = await admin.get<TelemetryPage>(`/api/v1/telemetry?thingName=${thingName}`);
    expect(page.body.items.filter((item) => item.topic === topic).map((item) => item.payload.value)).toEqual([7]);
  });

  it("fail as unavailable, naming the cause, when the device plane cannot answer", async () => {
    const unavailable = (pattern: RegExp) => expect.objectContaining({ code: 'unavailable', message: expect.stringMatching(pattern) }) as AppError;
    const wrongToken = remoteDevicePlane({ url: platform.baseUrl, serviceToken: 'y'.repeat(40) });
    await expect(wrongToken.things.workspaceOfThing(thingName)).rejects.toEqual(unavailable(/refused this process's service token/));
    await expect(wrongToken.shadows.update({ workspaceId, thingName }, { body: {} })).rejects.toEqual(unavailable(/service token/));

    const stub = await stubServer((path) =>
      path.endsWith('/odd') ? [200, { workspaceId: 5 }] : [404, { error: { code: 'not_found', message: 'no such route', requestId: 'r1' } }],
    );
    try {
      const elsewhere = remoteDevicePlane({ url: stub.url, serviceToken: TOKEN });
      // A 404 that is not "thing not found" is a process without the internal API, not a missing thing.
      await expect(elsewhere.things.workspaceOfThing('pump-1')).rejects.toEqual(unavailable(/does not serve its internal API/));
      await expect(elsewhere.things.workspaceOfThing('odd')).rejects.toEqual(unavailable(/something unexpected/));
      expect(stub.tokens).toEqual([TOKEN, TOKEN]);
    } finally {
      await stub.close();
    }
    const closed = remoteDevicePlane({ url: 'http://127.0.0.1:9', serviceToken: TOKEN, timeoutMs: 2_000 });
    await expect(closed.ingest.ingest(session(thingName, workspaceId), `telemetry/${thingName}`, Buffer.from('{}'))).rejects.toEqual(unavailable(/cannot be reached at http:\/\/127\.0\.0\.1:9/));
  });
});

describe('analytics apart from the device plane', () => {
  it('needs the scale-out store, and the registry in process or the device plane', () => {
    const logger = createLogger({ level: 'silent' });
    const ctx = (env: Record<string, string>): AnalyticsContext => ({
      logger,
      events: new EventBus(logger),
      health: new HealthRegistry(),
      shutdown: new Shutdown(logger),
      dataDir: '/nonexistent/never-opened',
      authenticate: (_req, _res, next) => next(),
      config: parseConfig(AnalyticsConfig, env),
    });
    const devicePlane = { url: platform.baseUrl, serviceToken: TOKEN };
    // Refused before anything is opened (the data dir does not exist).
    expect(() => createService({ ...ctx({}), devicePlane })).toThrow('only with CITUS_TELEMETRY_STORE=dynamodb');
    expect(() => createService(ctx({ CITUS_TELEMETRY_STORE: 'dynamodb', AWS_REGION: 'eu-west-1' }))).toThrow('`things` in its process, or `devicePlane`');
  });
});

/** A node:http server answering every request with what `answer` gives for its path; records the tokens sent. */
async function stubServer(answer: (path: string) => [number, unknown]): Promise<{ url: string; tokens: string[]; close(): Promise<void> }> {
  const tokens: string[] = [];
  const server: Server = createServer((req, res) => {
    tokens.push(String(req.headers[SERVICE_TOKEN_HEADER]));
    const [status, body] = answer(req.url ?? '/');
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tokens,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
