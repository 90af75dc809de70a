import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import type { AlertRule, DeclaredDevice, Me } from '@citus/contracts';
import { createHttpApp, createLogger, EventBus, finishHttpApp, HealthRegistry, parseConfig, Shutdown } from '@citus/kit';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { remoteDevicePlane } from '../src/adapters/device-plane/remote-device-plane.js';
import { AnalyticsConfig } from '../src/config.js';
import { createService } from '../src/service.js';
import { removeDir, tempDataDir, waitFor } from './support/analytics.fixture.js';
// The real device plane, as the launcher runs it (test-only cross-service import).
import { ADMIN_PASSWORD, Api, bootTestPlatform, type TestPlatform } from '../../embedded/test/support/test-platform.js';

// Scale-out: analytics in a process of its own (here, a service object of its own on its own data
// dir), asking the device plane over the internal API and following the telemetry stream of
// DynamoDB Local. Threshold rules fire from the change feed, and their shadow actions reach the hub.
const TOKEN = 'analytics-apart-test-token-0123456789abcdef';
const dynamo = useDynamoDbLocal();

let platform: TestPlatform;
let admin: Api;
let workspaceId: string;
let thingName: string;
let env: Record<string, string>;

beforeAll(async () => {
  env = { CITUS_TELEMETRY_STORE: 'dynamodb', AWS_REGION: 'eu-west-1', CITUS_DYNAMODB_ENDPOINT: dynamo.endpoint(), CITUS_DYNAMODB_TABLE_PREFIX: dynamo.nextPrefix('apart') };
  platform = await bootTestPlatform({ ...env, CITUS_SERVICE_TOKEN: TOKEN });
  admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
  workspaceId = (await admin.get<Me>('/api/v1/me')).body.memberships[0]!.workspaceId;
  thingName = (await admin.post<DeclaredDevice>('/api/v1/devices', { name: 'apart sensor' })).body.thingName;
});
afterAll(() => platform?.destroy());

interface Apart {
  api(method: string, path: string, body?: unknown, workspace?: string): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/** Signs every request in as an admin of the workspace `x-test-workspace` names (default the platform's): the portal's part, not under test here. */
const asAdmin: RequestHandler = (req, _res, next) => {
  const id = String(req.headers['x-test-workspace'] ?? workspaceId);
  req.access = { userId: 'usr_1', username: 'alice', platformAdmin: false, workspace: { id, slug: id, role: 'admin' } };
  next();
};

/** The analytics service as a process of its own would mount it: no `things`, no `alerting`, only `devicePlane`. */
async function startApart(dataDir: string): Promise<Apart> {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const shutdown = new Shutdown(logger);
  const module = createService({
    logger,
    events: new EventBus(logger),
    health: new HealthRegistry(),
    shutdown,
    dataDir,
    authenticate: asAdmin,
    config: parseConfig(AnalyticsConfig, env),
    devicePlane: { url: platform.baseUrl, serviceToken: TOKEN },
  });
  const app = createHttpApp({ logger });
  app.use('/api/v1', module.apiRoutes!);
  finishHttpApp(app);
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  shutdown.add('http', () => new Promise<void>((resolve) => server.close(() => resolve())));
  await module.start?.();
  const { port } = server.address() as AddressInfo;
  return {
    async api(method, path, body, workspace) {
      const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
      if (workspace) headers['x-test-workspace'] = workspace;
      const response = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
    stop: () => shutdown.run('test'),
  };
}

describe('analytics apart from the device plane (DynamoDB Local)', () => {
  let dataDir: string;
  let apart: Apart | undefined;
  beforeEach(() => (dataDir = tempDataDir()));
  afterEach(async () => {
    await apart?.stop();
    apart = undefined;
    removeDir(dataDir);
  });

  it("asks the registry whose a thing is: another workspace's thing, or none, is not found", async () => {
    apart = await startApart(dataDir);
    const series = (thing: string) => `/anomalies/settings/series?thingName=${thing}&field=temperature`;
    expect((await apart.api('PUT', series(thingName), { threshold: 0.9 })).status).toBe(200);
    expect(await apart.api('GET', series(thingName))).toEqual({ status: 200, body: expect.objectContaining({ thingName, overrides: { threshold: 0.9 } }) });
    expect((await apart.api('GET', series(thingName), undefined, 'ws_someone_else')).status).toBe(404);
    expect((await apart.api('GET', series('no-such-thing'))).status).toBe(404);
  });

  it("fires threshold rules from the change feed, and sets the shadow through the hub's internal API", async () => {
    apart = await startApart(dataDir);
    const made = await apart.api('POST', '/alert-rules', {
      name: 'too hot',
      trigger: { threshold: { field: 'temperature', op: 'gt', value: 50 } },
      actions: [{ shadow: { desired: { fan: 'on' } } }],
    });
    expect(made.status).toBe(201);
    const ruleId = (made.body as AlertRule).id;

    // Stored through the hub (as a device's messages are), never told to this process in-process.
    const ingest = remoteDevicePlane({ url: platform.baseUrl, serviceToken: TOKEN }).ingest;
    const session = { clientId: thingName, thingName, workspaceId, certificateId: 'cert-test' };
    for (const temperature of [20, 90]) expect(await ingest.ingest(session, `telemetry/${thingName}`, Buffer.from(JSON.stringify({ temperature })))).toEqual({ kind: 'stored' });

    const rule = async () => (await apart!.api('GET', `/alert-rules/${ruleId}`)).body as AlertRule;
    await waitFor(async () => (await rule()).lastDelivery !== null, 'the rule to fire from the stream', 45_000);
    expect((await rule()).lastDelivery).toEqual(expect.objectContaining({ thingName, ok: true, actions: [expect.objectContaining({ action: 'shadow', ok: true })] }));
    const shadow = await admin.get<{ state: { desired: unknown } }>(`/api/v1/things/${thingName}/shadow`);
    expect(shadow.body.state.desired).toEqual({ fan: 'on' });
  });
});
