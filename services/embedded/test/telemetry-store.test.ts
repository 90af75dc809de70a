import type { TelemetryPage } from '@citus/contracts';
import { connectMqtt, reading } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

// Issue point 9: what is stored, under which key, and that nothing is lost or doubled.
describe('telemetry storage', () => {
  let platform: TestPlatform;
  let api: Api;
  let device: ActivatedDevice;
  let topic: string;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    device = await declareAndActivate(api, 'Store sensor');
    topic = `telemetry/${device.device.thingName}`;
  });
  afterAll(() => platform.destroy());

  const stored = async () =>
    (await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${device.device.thingName}&limit=1000`)).body.items;

  it('keys a message by its own timestamp, so a resend is stored once', async () => {
    const client = await connectMqtt(platform, device);
    const payload = reading({ '@timestamp': 1_700_000_000_123 });
    await client.publishAsync(topic, payload, { qos: 1 });
    await client.publishAsync(topic, payload, { qos: 1, dup: true });
    await client.publishAsync(topic, reading({ timestamp: '2023-11-14T22:13:20.456Z' }), { qos: 1 });
    await client.endAsync();
    const items = await stored();
    expect(items.filter((item) => item.epoch === 1_700_000_000_123)).toHaveLength(1);
    expect(items.filter((item) => item.epoch === 1_700_000_000_456)).toHaveLength(1);
  });

  it('keeps a different message that claims an already used timestamp', async () => {
    const client = await connectMqtt(platform, device);
    await client.publishAsync(topic, reading({ '@timestamp': 1_700_000_100_000, value: 1 }), { qos: 1 });
    await client.publishAsync(topic, reading({ '@timestamp': 1_700_000_100_000, value: 2 }), { qos: 1 });
    await client.endAsync();
    const values = (await stored()).filter((item) => item.payload['@timestamp'] === 1_700_000_100_000).map((item) => item.payload.value);
    expect(values.sort()).toEqual([1, 2]);
  });

  it('uses the receive time when there is no sane timestamp, and keeps every message of a burst', async () => {
    const before = (await stored()).length;
    const client = await connectMqtt(platform, device);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.publishAsync(topic, reading({ value: i, ...(i % 2 ? { '@timestamp': 42 } : {}) }), { qos: 1 }),
      ),
    );
    await client.endAsync();
    const items = await stored();
    expect(items).toHaveLength(before + 200);
    const burst = items.filter((item) => item.epoch >= started - 5);
    expect(new Set(burst.map((item) => item.payload.value)).size).toBe(200);
    expect(new Set(burst.map((item) => item.epoch)).size).toBe(200);
  });

  it('answers 400 for a bad range or cursor', async () => {
    expect((await api.get(`/api/v1/telemetry?thingName=${device.device.thingName}&from=yesterday`)).status).toBe(400);
    expect((await api.get(`/api/v1/telemetry?thingName=${device.device.thingName}&cursor=%%%`)).status).toBe(400);
    expect((await api.get(`/api/v1/telemetry?thingName=${device.device.thingName}&limit=100000`)).status).toBe(400);
    expect((await api.get('/api/v1/telemetry')).status).toBe(400);
  });
});
