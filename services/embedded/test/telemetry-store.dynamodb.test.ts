import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { TelemetryAggregates, TelemetryLatest, TelemetryPage } from '@citus/contracts';
import { TELEMETRY_TABLE_NAMES, TTL_ATTRIBUTE } from '@citus/dynamodb';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { connectMqtt, reading } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

// The platform with CITUS_TELEMETRY_STORE=dynamodb against DynamoDB Local: devices publish over
// mutual TLS as always; their telemetry lands in DynamoDB and is read back from there.
const dynamo = useDynamoDbLocal();
const MINUTE = 60_000;

describe('the platform with its telemetry in DynamoDB', () => {
  let platform: TestPlatform;
  let api: Api;
  let device: ActivatedDevice;
  let prefix: string;

  beforeAll(async () => {
    prefix = dynamo.nextPrefix('platform');
    platform = await bootTestPlatform({
      CITUS_TELEMETRY_STORE: 'dynamodb',
      AWS_REGION: 'eu-west-1',
      CITUS_DYNAMODB_ENDPOINT: dynamo.endpoint(),
      CITUS_DYNAMODB_TABLE_PREFIX: prefix,
    });
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    device = await declareAndActivate(api, 'Dynamo sensor');
  });
  afterAll(() => platform?.destroy());

  const items = async () =>
    (await dynamo.clients().documents.send(new ScanCommand({ TableName: `${prefix}${TELEMETRY_TABLE_NAMES.telemetry}` }))).Items ?? [];

  it('stores each acknowledged message in the DynamoDB table and serves it through the telemetry API', async () => {
    const client = await connectMqtt(platform, device);
    const topic = `telemetry/${device.device.thingName}`;
    await Promise.all([1, 2, 3].map((value) => client.publishAsync(topic, reading({ value }), { qos: 1 })));
    await client.publishAsync(topic, 'not json', { qos: 1 });
    await client.endAsync();
    // Acknowledged means written: the table holds them with no wait.
    expect((await items()).map((item) => JSON.parse(item.payload as string).value).sort()).toEqual([1, 2, 3]);
    const page = await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${device.device.thingName}&order=asc`);
    expect(page.status).toBe(200);
    expect(page.body.items.map((item) => item.payload.value)).toEqual([1, 2, 3]);
    const letters = await api.get<{ count: number }>(`/api/v1/telemetry/dead-letters?thingName=${device.device.thingName}`);
    expect(letters.body.count).toBe(1);
  });

  it("stamps new items with the workspace's retention period as their TTL", async () => {
    const set = await api.put('/api/v1/telemetry/retention', { days: 30 });
    expect(set.status).toBe(200);
    const client = await connectMqtt(platform, device);
    const before = Math.floor(Date.now() / 1000);
    await client.publishAsync(`telemetry/${device.device.thingName}`, reading({ value: 30 }), { qos: 1 });
    await client.endAsync();
    const stamped = (await items()).find((item) => JSON.parse(item.payload as string).value === 30);
    expect(stamped?.[TTL_ATTRIBUTE]).toBeGreaterThanOrEqual(before + 30 * 86_400);
    expect(stamped?.[TTL_ATTRIBUTE]).toBeLessThanOrEqual(before + 30 * 86_400 + 5);
  });

  it('serves aggregates and latest values from DynamoDB too', async () => {
    const thingName = device.device.thingName;
    const topic = `telemetry/${thingName}`;
    // A 10-minute boundary an hour ago, clear of the messages above (stored at their receive time).
    const t0 = Math.floor((Date.now() - 60 * MINUTE) / (10 * MINUTE)) * 10 * MINUTE;
    const newest = Date.now() + 1_000;
    const client = await connectMqtt(platform, device);
    const messages: Array<[string, Record<string, unknown>]> = [
      [topic, { '@timestamp': t0 + 1_000, value: 3 }],
      [`${topic}/power`, { '@timestamp': t0 + 2_000, value: 9, watts: 120 }],
      [topic, { '@timestamp': t0 + MINUTE, value: 6 }],
      [topic, { '@timestamp': newest, value: 7 }],
    ];
    for (const [to, payload] of messages) await client.publishAsync(to, JSON.stringify(payload), { qos: 1 });
    await client.endAsync();
    const range = `thingName=${thingName}&from=${t0}&to=${t0 + 2 * MINUTE - 1}&bucket=1m`;
    const aggregates = await api.get<TelemetryAggregates>(`/api/v1/telemetry/aggregates?${range}&field=value`);
    expect(aggregates.status).toBe(200);
    expect(aggregates.body.buckets).toEqual([
      { bucketStart: t0, min: 3, max: 9, avg: 6, count: 2, last: 9 },
      { bucketStart: t0 + MINUTE, min: 6, max: 6, avg: 6, count: 1, last: 6 },
    ]);
    const power = await api.get<TelemetryAggregates>(`/api/v1/telemetry/aggregates?${range}&field=watts&stream=power`);
    expect(power.body).toMatchObject({ stream: 'power', buckets: [{ bucketStart: t0, count: 1, last: 120 }] });
    const expected = [
      { thingName, topic, epoch: newest, payload: { '@timestamp': newest, value: 7 } },
      { thingName, topic: `${topic}/power`, epoch: t0 + 2_000, payload: { '@timestamp': t0 + 2_000, value: 9, watts: 120 } },
    ];
    const named = await api.get<TelemetryLatest>(`/api/v1/telemetry/latest?thingName=${thingName}`);
    expect(named.status).toBe(200);
    expect(named.body).toEqual({ items: expected });
    expect((await api.get<TelemetryLatest>('/api/v1/telemetry/latest')).body).toEqual({ items: expected });
  });
});
