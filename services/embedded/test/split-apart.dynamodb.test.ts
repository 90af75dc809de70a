import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SearchResults, SeriesSettings } from '@citus/contracts';
import { createLogger } from '@citus/kit';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { startServices, type ServiceProcess } from '../src/index.js';
import { connectMqtt, reading } from './support/devices.js';
import { ADMIN_PASSWORD, Api, declareAndActivate, type TestPlatform } from './support/test-platform.js';
import { waitFor } from '../../app-registry/test/support/test-image.js';

// Issue 10 point 1: on the scale-out stores the indexer and analytics run in processes of their
// own, beside the portal and the hub's process (device-lifecycle and iot-hub, which still go together).
const dynamo = useDynamoDbLocal();
const TOKEN = 'apart-test-service-token-0123456789abcdef';

interface Started {
  process: ServiceProcess;
  baseUrl: string;
  dataDir: string;
}

describe('the indexer and analytics apart from the hub, on DynamoDB', () => {
  const started: Started[] = [];
  let portal: Started;
  let hub: Started;
  let indexer: Started;
  let analytics: Started;
  let admin: Api;

  async function start(env: Record<string, string>): Promise<Started> {
    const dataDir = mkdtempSync(join(tmpdir(), 'citus-apart-'));
    const process = await startServices(
      { PORT: '0', HOST: '127.0.0.1', MQTT_TLS_PORT: '0', MQTT_HOST: '127.0.0.1', CITUS_DATA_DIR: dataDir, ...env },
      createLogger({ level: 'silent' }),
    );
    const one = { process, baseUrl: `http://127.0.0.1:${process.httpPort}`, dataDir };
    started.push(one);
    return one;
  }

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
    // The hub's process first: it makes the tables the others follow.
    hub = await start({ CITUS_SERVICES: 'device-lifecycle,iot-hub', ...remote });
    indexer = await start({ CITUS_SERVICES: 'indexer', ...remote });
    analytics = await start({ CITUS_SERVICES: 'analytics', ...remote, CITUS_DEVICE_PLANE_URL: hub.baseUrl });
    admin = await Api.login(portal.baseUrl, 'admin', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    for (const one of started.reverse()) {
      await one.process.stop();
      rmSync(one.dataDir, { recursive: true, force: true });
    }
  });

  it('runs each part where it was put', async () => {
    expect([hub.process.services, indexer.process.services, analytics.process.services]).toEqual([
      ['device-lifecycle', 'iot-hub'],
      ['indexer'],
      ['analytics'],
    ]);
    for (const one of [portal, hub, indexer, analytics]) expect((await fetch(`${one.baseUrl}/healthz`)).status).toBe(200);
    expect((await new Api(indexer.baseUrl).get('/api/v1/devices')).status).toBe(404);
    expect((await new Api(hub.baseUrl).get('/api/v1/search?q=x')).status).toBe(404);
  });

  it("indexes a device declared on the hub's process from the registry stream, and its telemetry from the telemetry stream", async () => {
    const token = (await new Api(portal.baseUrl).post<{ access_token: string }>('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD })).body.access_token;
    const onHub = new Api(hub.baseUrl, token);
    const device = await declareAndActivate(onHub, 'Apart boiler');
    const search = new Api(indexer.baseUrl, token);
    const found = await waitFor(async () => {
      const answer = await search.get<SearchResults>('/api/v1/search?q=boiler&kind=device');
      return answer.body.items.length > 0 ? answer.body.items : undefined;
    }, 'the device in the search index');
    expect(found.map((hit) => hit.kind === 'device' && hit.device.thingName)).toEqual([device.device.thingName]);

    const asPlatform = { ...hub.process, mqttPort: hub.process.mqttPort as number, baseUrl: hub.baseUrl } as unknown as TestPlatform;
    const client = await connectMqtt(asPlatform, device);
    await client.publishAsync(`telemetry/${device.device.thingName}`, reading({ temperature: 71.5, unit: 'celsius' }), { qos: 1 });
    await client.endAsync();
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
  });
});
