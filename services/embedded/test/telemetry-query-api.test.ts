import { TelemetryAggregates, TelemetryLatest, type ErrorEnvelope } from '@citus/contracts';
import { connectMqtt } from './support/devices.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

const MINUTE = 60_000;

// Issue 5 point 3: downsampled aggregates and latest values, through the real platform.
describe('the telemetry query API', () => {
  let platform: TestPlatform;
  let admin: Api;
  let elsewhere: Api; // the same admin, acting in workspace "other"
  let pump: ActivatedDevice;
  let valve: ActivatedDevice;
  let otherThing: string;
  let t0: number; // a 5-minute boundary about an hour ago

  const publish = async (device: ActivatedDevice, messages: Array<[string, Record<string, unknown>]>) => {
    const client = await connectMqtt(platform, device);
    for (const [topic, payload] of messages) await client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    await client.endAsync();
  };

  beforeAll(async () => {
    platform = await bootTestPlatform();
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    expect((await admin.post('/api/v1/workspaces', { slug: 'other', name: 'Other' })).status).toBe(201);
    elsewhere = admin.inWorkspace('other');
    pump = await declareAndActivate(admin, 'Pump');
    valve = await declareAndActivate(admin, 'Valve');
    const other = await declareAndActivate(elsewhere, 'Their pump');
    otherThing = other.device.thingName;
    // Aligned to 10 minutes, so buckets of 1, 2 and 5 minutes all start at t0.
    t0 = Math.floor((Date.now() - 60 * MINUTE) / (10 * MINUTE)) * 10 * MINUTE;
    const p = `telemetry/${pump.device.thingName}`;
    await publish(pump, [
      [p, { '@timestamp': t0 + 1_000, value: 3, env: { temp: 20 } }],
      [p, { '@timestamp': t0 + 2_000, level: 'high', env: { temp: 24 } }],
      [`${p}/power`, { '@timestamp': t0 + 3_000, value: 9, watts: 120 }],
      [p, { '@timestamp': t0 + MINUTE + 1, value: 6, env: { temp: 21 } }],
      [`${p}/power`, { '@timestamp': t0 + MINUTE + 2, value: 1, watts: 80 }],
    ]);
    await publish(valve, [[`telemetry/${valve.device.thingName}`, { '@timestamp': t0, value: 1, open: true }]]);
    await publish(other, [[`telemetry/${otherThing}`, { '@timestamp': t0, value: 99 }]]);
  });
  afterAll(() => platform.destroy());

  const aggregates = (query: string, api = admin) => api.get<TelemetryAggregates | ErrorEnvelope>(`/api/v1/telemetry/aggregates?${query}`);

  it('aggregates a field of every stream per bucket, or of one stream', async () => {
    const range = `thingName=${pump.device.thingName}&from=${t0}&to=${t0 + 2 * MINUTE - 1}`;
    const all = await aggregates(`${range}&field=value&bucket=1m`);
    expect(all.status).toBe(200);
    expect(TelemetryAggregates.parse(all.body)).toEqual({
      thingName: pump.device.thingName,
      field: 'value',
      from: t0,
      to: t0 + 2 * MINUTE - 1,
      bucket: MINUTE,
      buckets: [
        { bucketStart: t0, min: 3, max: 9, avg: 6, count: 2, last: 9 },
        { bucketStart: t0 + MINUTE, min: 1, max: 6, avg: 3.5, count: 2, last: 1 },
      ],
    });
    const power = await aggregates(`${range}&field=watts&bucket=${2 * MINUTE}&stream=power`);
    expect(power.body).toMatchObject({ stream: 'power', bucket: 2 * MINUTE, buckets: [{ bucketStart: t0, min: 80, max: 120, avg: 100, count: 2, last: 80 }] });
    const nested = await aggregates(`${range}&field=env.temp&bucket=1m`);
    expect((nested.body as TelemetryAggregates).buckets.map((bucket) => [bucket.count, bucket.avg])).toEqual([[2, 22], [1, 21]]);
    expect((await aggregates(`${range}&field=level`)).body).toMatchObject({ buckets: [] });
  });

  it('chooses the bucket by the range when none is given', async () => {
    const response = await aggregates(`thingName=${pump.device.thingName}&field=value&from=${t0 - 59 * MINUTE}&to=${t0 + MINUTE + 5}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ bucket: 10_000, buckets: [{ bucketStart: t0, count: 2 }, { bucketStart: t0 + MINUTE, count: 2 }] });
    const lastDay = await aggregates(`thingName=${pump.device.thingName}&field=value`);
    expect(lastDay.body).toMatchObject({ bucket: 5 * MINUTE, buckets: [{ bucketStart: t0, count: 4, last: 1 }] });
  });

  it('answers 400 for a bad field, bucket or range, with a clear message', async () => {
    const thing = `thingName=${pump.device.thingName}`;
    for (const query of [`${thing}`, `${thing}&field=a..b`, `${thing}&field=a"b`, `${thing}&field=value&bucket=2w`, `${thing}&field=value&bucket=0`, `${thing}&field=value&from=${t0}&to=${t0 - 1}`, 'field=value']) {
      const response = await aggregates(query);
      expect([query, response.status]).toEqual([query, 400]);
    }
    const tooMany = await aggregates(`${thing}&field=value&from=${t0}&to=${t0 + 10_000_000}&bucket=1s`);
    expect(tooMany.status).toBe(400);
    expect((tooMany.body as ErrorEnvelope).error.message).toBe(
      'a bucket of 1000 ms over this range makes 10001 buckets; the most is 10000: choose a larger bucket or a shorter range',
    );
    const tooLong = await aggregates(`${thing}&field=value&from=0&to=${t0}&bucket=1d`);
    expect((tooLong.body as ErrorEnvelope).error.message).toBe('the range may cover at most 366 days');
  });

  it('gives the latest message of each stream of the named things', async () => {
    const response = await admin.get<TelemetryLatest>(`/api/v1/telemetry/latest?thingName=${pump.device.thingName},${valve.device.thingName}`);
    expect(response.status).toBe(200);
    expect(TelemetryLatest.parse(response.body).items).toEqual([
      { thingName: pump.device.thingName, topic: `telemetry/${pump.device.thingName}`, epoch: t0 + MINUTE + 1, payload: { '@timestamp': t0 + MINUTE + 1, value: 6, env: { temp: 21 } } },
      { thingName: pump.device.thingName, topic: `telemetry/${pump.device.thingName}/power`, epoch: t0 + MINUTE + 2, payload: { '@timestamp': t0 + MINUTE + 2, value: 1, watts: 80 } },
      { thingName: valve.device.thingName, topic: `telemetry/${valve.device.thingName}`, epoch: t0, payload: { '@timestamp': t0, value: 1, open: true } },
    ]);
  });

  it("pages through every thing of the workspace with telemetry, and never another workspace's", async () => {
    const [first, second] = [pump.device.thingName, valve.device.thingName].sort();
    const page1 = await admin.get<TelemetryLatest>('/api/v1/telemetry/latest?limit=1');
    expect(page1.status).toBe(200);
    expect(new Set(page1.body.items.map((item) => item.thingName))).toEqual(new Set([first]));
    expect(page1.body.next).toBe(first);
    const page2 = await admin.get<TelemetryLatest>(`/api/v1/telemetry/latest?limit=1&cursor=${page1.body.next}`);
    expect(page2.body).toEqual({ items: [expect.objectContaining({ thingName: second })] });
    const theirs = await elsewhere.get<TelemetryLatest>('/api/v1/telemetry/latest');
    expect(theirs.body).toEqual({ items: [expect.objectContaining({ thingName: otherThing, payload: { '@timestamp': t0, value: 99 } })] });
  });

  it('answers 400 for a bad list or page, 404 for a thing of another workspace, 401 without a token', async () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => `thing-${i}`).join(',');
    for (const query of [`thingName=${tooMany}`, 'thingName=a,,b', 'thingName=bad/name', 'limit=0', 'limit=101', 'cursor=no/such']) {
      expect([query, (await admin.get(`/api/v1/telemetry/latest?${query}`)).status]).toEqual([query, 400]);
    }
    const foreign = await admin.get<ErrorEnvelope>(`/api/v1/telemetry/latest?thingName=${pump.device.thingName},${otherThing}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.message).toBe(`thing ${otherThing} not found`);
    expect((await aggregates(`thingName=${otherThing}&field=value`)).status).toBe(404);
    expect((await aggregates(`thingName=${otherThing}&field=value`, elsewhere)).status).toBe(200);
    const anonymous = new Api(platform.baseUrl);
    expect((await anonymous.get(`/api/v1/telemetry/latest?thingName=${pump.device.thingName}`)).status).toBe(401);
    expect((await anonymous.get(`/api/v1/telemetry/aggregates?thingName=${pump.device.thingName}&field=value`)).status).toBe(401);
  });
});
