import { setTimeout as delay } from 'node:timers/promises';
import { Anomaly, AnomalyPage } from '@citus/contracts';
import { connectMqtt } from './support/devices.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

/** The `anomaly` events of a server-sent event stream, parsed, up to the first that `last` accepts. */
async function anomalyEvents(response: Response, last: (anomaly: Anomaly) => boolean): Promise<Anomaly[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: Anomaly[] = [];
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before the awaited anomaly; it sent: ${text}`);
    text += decoder.decode(value, { stream: true });
    let match: RegExpExecArray | null;
    while ((match = /event: anomaly\ndata: (.*)\n\n/.exec(text))) {
      text = text.slice(match.index + match[0].length);
      const anomaly = Anomaly.parse(JSON.parse(match[1] ?? ''));
      events.push(anomaly);
      if (last(anomaly)) {
        await reader.cancel();
        return events;
      }
    }
  }
}

// Issue 8 point 1 end to end: a device publishes over MQTT with mutual TLS; the hub stores the
// messages, the change feed hands them to the analytics service, whose detector finds the spike.
describe('anomalies on the embedded platform', () => {
  let platform: TestPlatform;
  let admin: Api;
  let token: string;
  let pump: ActivatedDevice;
  const t0 = Date.now() - 3_600_000;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    token = (await new Api(platform.baseUrl).post<{ access_token: string }>('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD })).body
      .access_token;
    pump = await declareAndActivate(admin, 'Coolant pump');
  });
  afterAll(() => platform.destroy());

  it('finds a spike a device published, serves it at GET /anomalies and pushes it on the stream', async () => {
    const settings = await admin.put('/api/v1/anomalies/settings', { detector: 'windowed-gaussian', threshold: 0.999, enabled: true });
    expect(settings.status).toBe(200);
    const thingName = pump.device.thingName;
    const stream = await fetch(`${platform.baseUrl}/api/v1/anomalies/stream?thingName=${thingName}`, { headers: { authorization: `Bearer ${token}` } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const spikeAt = t0 + 35_000;
    const pushed = anomalyEvents(stream, (anomaly) => anomaly.epoch === spikeAt);

    const client = await connectMqtt(platform, pump);
    // Calm first, so the detector has learnt the series before the spike.
    for (let i = 0; i < 40; i++) {
      const temperature = i === 35 ? 95 : 20 + 0.5 * Math.sin(i);
      await client.publishAsync(`telemetry/${thingName}`, JSON.stringify({ '@timestamp': t0 + i * 1_000, temperature, label: 'Coolant' }), { qos: 1 });
    }
    await client.endAsync();

    let found: Anomaly | undefined;
    const deadline = Date.now() + 10_000;
    while (!found && Date.now() < deadline) {
      const response = await admin.get<AnomalyPage>(`/api/v1/anomalies?thingName=${thingName}&field=temperature`);
      expect(response.status).toBe(200);
      found = AnomalyPage.parse(response.body).items.find((anomaly) => anomaly.epoch === spikeAt);
      if (!found) await delay(50);
    }
    expect(found).toEqual(expect.objectContaining({ thingName, field: 'temperature', epoch: spikeAt, value: 95, detector: 'windowed-gaussian' }));
    expect(found?.score).toBeGreaterThanOrEqual(0.999);

    // Opened before the first point, the stream pushed every anomaly stored up to the spike (the detector's
    // first few points may score that high too, while it has seen almost nothing), the spike as stored.
    const events = await pushed;
    expect(events.at(-1)).toEqual(found);
    const stored = AnomalyPage.parse((await admin.get(`/api/v1/anomalies?thingName=${thingName}&limit=1000`)).body).items;
    expect(events.map((anomaly) => anomaly.id).sort()).toEqual(stored.filter((anomaly) => anomaly.epoch <= spikeAt).map((anomaly) => anomaly.id).sort());
  });

  it('shows another workspace nothing, and its series settings answer 404', async () => {
    expect((await admin.post('/api/v1/workspaces', { slug: 'neighbours', name: 'Neighbours' })).status).toBe(201);
    const neighbour = admin.inWorkspace('neighbours');
    expect((await neighbour.get('/api/v1/anomalies')).body).toEqual({ items: [] });
    const series = `/api/v1/anomalies/settings/series?thingName=${pump.device.thingName}&field=temperature`;
    expect((await neighbour.get(series)).status).toBe(404);
    expect((await neighbour.put(series, { threshold: 0.5 })).status).toBe(404);
    expect((await admin.get(series)).status).toBe(200);
  });
});
