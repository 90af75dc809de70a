import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DeclaredDevice, SearchResults, SeriesSettings, ThingGroupMembers } from '@citus/contracts';
import { openDatabase } from '@citus/sqlite';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { ServiceProcesses, type StartedProcess } from './support/service-processes.js';
import { connectMqtt, reading } from './support/devices.js';
import { ADMIN_PASSWORD, Api, declareAndActivate, type TestPlatform } from './support/test-platform.js';
import { waitFor } from '../../app-registry/test/support/test-image.js';

// Issue 10 point 1: on the scale-out stores every service runs in a process of its own: the portal,
// the registry (device-lifecycle), the hub, the indexer and analytics (the app registry is in split-processes).
const dynamo = useDynamoDbLocal();
const TOKEN = 'apart-test-service-token-0123456789abcdef';

type Started = StartedProcess;

describe('every device-plane service in a process of its own, on DynamoDB', () => {
  const processes = new ServiceProcesses();
  const start = (env: Record<string, string>, dataDir?: string) => processes.start(env, dataDir);
  let portal: Started;
  let registry: Started;
  let hub: Started;
  let indexer: Started;
  let analytics: Started;
  let admin: Api;

  beforeAll(async () => {
    const stores = {
      CITUS_TELEMETRY_STORE: 'dynamodb',
      CITUS_REGISTRY_STORE: 'dynamodb',
      AWS_REGION: 'eu-west-1',
      CITUS_DYNAMODB_ENDPOINT: dynamo.endpoint(),
      CITUS_DYNAMODB_TABLE_PREFIX: dynamo.nextPrefix('apart'),
      CITUS_SERVICE_TOKEN: TOKEN,
    };
    portal = await start({ CITUS_SERVICES: 'portal', CITUS_SERVICE_TOKEN: TOKEN, CITUS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    const remote = { ...stores, CITUS_PORTAL_URL: portal.baseUrl, CITUS_ACCESS_CACHE_SECONDS: '0' };
    // The registry first (it makes the registry table and holds the CA), then the hub (the telemetry
    // tables); their URLs are known only once they listen, so the registry learns the hub's late:
    // it asks the hub only when a device view needs connectivity.
    let hubUrl = 'http://127.0.0.1:9';
    registry = await start({ CITUS_SERVICES: 'device-lifecycle', ...remote, CITUS_DEVICE_PLANE_URL: 'http://127.0.0.1:1' });
    hub = await start({ CITUS_SERVICES: 'iot-hub', ...remote, CITUS_DEVICE_REGISTRY_URL: registry.baseUrl });
    hubUrl = hub.baseUrl;
    // The registry again on its data (its CA) and its port, which the hub asks, now knowing where the hub is.
    await processes.stop(registry);
    registry = await start({ CITUS_SERVICES: 'device-lifecycle', ...remote, CITUS_DEVICE_PLANE_URL: hubUrl, PORT: new URL(registry.baseUrl).port }, registry.dataDir);
    indexer = await start({ CITUS_SERVICES: 'indexer', ...remote });
    analytics = await start({ CITUS_SERVICES: 'analytics', ...remote, CITUS_DEVICE_PLANE_URL: hub.baseUrl });
    admin = await Api.login(portal.baseUrl, 'admin', ADMIN_PASSWORD);
  });

  afterAll(() => processes.stopAll());

  it('runs each part where it was put', async () => {
    expect([registry.process.services, hub.process.services, indexer.process.services, analytics.process.services]).toEqual([
      ['device-lifecycle'],
      ['iot-hub'],
      ['indexer'],
      ['analytics'],
    ]);
    for (const one of [portal, registry, hub, indexer, analytics]) expect((await fetch(`${one.baseUrl}/healthz`)).status).toBe(200);
    // The CA's key stays with the registry; the hub serves TLS on a certificate the registry signed.
    expect([existsSync(join(registry.dataDir, 'ca', 'ca.key')), existsSync(join(hub.dataDir, 'ca'))]).toEqual([true, false]);
    expect(hub.process.caPem).toBe(registry.process.caPem);
    expect((await new Api(indexer.baseUrl).get('/api/v1/devices')).status).toBe(404);
    expect((await new Api(hub.baseUrl).get('/api/v1/search?q=x')).status).toBe(404);
    expect((await new Api(hub.baseUrl).get('/api/v1/devices')).status).toBe(404);
  });

  it("follows a device declared on the registry's process: the hub, the indexer and analytics learn it from the streams; a revocation closes its session, a deletion clears its series", async () => {
    const token = (await new Api(portal.baseUrl).post<{ access_token: string }>('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD })).body.access_token;
    const onRegistry = new Api(registry.baseUrl, token);
    const device = await declareAndActivate(onRegistry, 'Apart boiler');
    const search = new Api(indexer.baseUrl, token);
    const found = await waitFor(async () => {
      const answer = await search.get<SearchResults>('/api/v1/search?q=boiler&kind=device');
      return answer.body.items.length > 0 ? answer.body.items : undefined;
    }, 'the device in the search index');
    expect(found.map((hit) => hit.kind === 'device' && hit.device.thingName)).toEqual([device.device.thingName]);

    // The hub learns the activated certificate from the registry table's stream.
    const asPlatform = { ...hub.process, mqttPort: hub.process.mqttPort as number, baseUrl: hub.baseUrl } as unknown as TestPlatform;
    const client = await waitFor(() => connectMqtt(asPlatform, device).catch(() => undefined), 'the hub to accept the new certificate');
    await client.publishAsync(`telemetry/${device.device.thingName}`, reading({ temperature: 71.5, unit: 'celsius' }), { qos: 1 });
    // The registry asks the hub about the device's connectivity.
    const seen = await onRegistry.get<{ connectivity?: { connected: boolean } }>(`/api/v1/devices/${device.device.id}`);
    expect([seen.status, seen.body.connectivity?.connected]).toEqual([200, true]);
    await waitFor(async () => {
      const answer = await search.get<SearchResults>(`/api/v1/search?q=celsius&kind=telemetry&thingName=${device.device.thingName}`);
      return answer.body.items.length > 0 ? answer.body.items : undefined;
    }, 'the telemetry in the search index');

    // Analytics asks the hub's process whose the thing is: its series answer here, another name is 404.
    const onAnalytics = new Api(analytics.baseUrl, token);
    const series = await onAnalytics.get<SeriesSettings>(`/api/v1/anomalies/settings/series?thingName=${device.device.thingName}&field=temperature`);
    expect([series.status, series.body.thingName]).toEqual([200, device.device.thingName]);
    expect((await onAnalytics.get('/api/v1/anomalies/settings/series?thingName=nobody-here&field=temperature')).status).toBe(404);
    expect((await admin.get('/api/v1/me')).status).toBe(200);

    // Revoked on the registry: the hub hears it from the stream and closes the device's session.
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    expect((await onRegistry.post(`/api/v1/devices/${device.device.id}/revoke`)).status).toBe(200);
    await closed;
    expect(await connectMqtt(asPlatform, device).then(() => 'connected', () => 'refused')).toBe('refused');

    // Deleted on the registry: analytics, in a process of its own, forgets the thing's series settings.
    const seriesPath = `/api/v1/anomalies/settings/series?thingName=${device.device.thingName}&field=temperature`;
    expect((await onAnalytics.put(seriesPath, { threshold: 0.8 })).status).toBe(200);
    const settingsRows = () => {
      const db = openDatabase(join(analytics.dataDir, 'analytics.db'), { module: 'test-reader', migrations: [] });
      try {
        return (db.prepare('SELECT COUNT(*) FROM analytics_series_settings WHERE thing_name = ?').pluck().get(device.device.thingName) as number);
      } finally {
        db.close();
      }
    };
    expect(settingsRows()).toBe(1);
    expect((await onRegistry.delete(`/api/v1/devices/${device.device.id}`)).status).toBe(204);
    await waitFor(async () => (settingsRows() === 0 ? true : undefined), "analytics forgetting the deleted thing's series");
  });

  it("evaluates a dynamic group on the hub's process over devices' attributes, asked of the registry's process", async () => {
    const token = (await new Api(portal.baseUrl).post<{ access_token: string }>('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD })).body.access_token;
    const onRegistry = new Api(registry.baseUrl, token);
    const onHub = new Api(hub.baseUrl, token);
    const declare = async (body: Record<string, unknown>) => {
      const declared = await onRegistry.post<DeclaredDevice>('/api/v1/devices', body);
      expect(declared.status).toBe(201);
      return declared.body.thingName;
    };
    const boiler = await declare({ name: 'Attic boiler', type: 'boiler', location: 'Attic' });
    await declare({ name: 'Cellar boiler', type: 'boiler', location: 'Cellar' });
    await declare({ name: 'Attic fan' });
    const created = await onHub.post('/api/v1/thing-groups', { groupName: 'attic-boilers', queryString: 'attributes.type:boiler AND attributes.location:attic' });
    expect(created.status).toBe(201);
    // The hub learns the things from the registry table's stream, and asks the registry's process their attributes.
    const members = await waitFor(async () => {
      const answer = await onHub.get<ThingGroupMembers>('/api/v1/thing-groups/attic-boilers/things');
      expect(answer.status).toBe(200);
      return answer.body.items.length > 0 ? answer.body.items.map((item) => item.thingName) : undefined;
    }, 'the attic boiler in its group');
    expect(members).toEqual([boiler]);
  });
});
