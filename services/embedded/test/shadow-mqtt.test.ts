import type { MqttClient } from 'mqtt';
import {
  ShadowDeleteAccepted,
  ShadowDelta,
  ShadowDocument,
  ShadowDocuments,
  ShadowErrorResponse,
  ShadowUpdateAccepted,
  type Workspace,
} from '@citus/contracts';
import { closedBy, connectMqtt } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

interface Received {
  topic: string;
  body: Record<string, unknown>;
}

/** Everything a client receives, and a way to wait for the first message on a topic after a point. */
class Inbox {
  readonly messages: Received[] = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => this.messages.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown> }));
  }

  async next(topic: string, from = 0, within = 5_000): Promise<Received> {
    const deadline = Date.now() + within;
    for (;;) {
      const found = this.messages.slice(from).find((message) => message.topic === topic);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`nothing on ${topic}; got ${this.messages.slice(from).map((m) => m.topic).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

// Issue 3 points 1, 8 and 9 with MQTT.js as the device: shadows over MQTT and HTTP, isolation
// between devices, and malformed requests answered on /rejected without harming anyone else.
describe('Device Shadow over MQTT (MQTT.js) and HTTP', () => {
  let platform: TestPlatform;
  let api: Api;
  let lamp: ActivatedDevice;
  let fan: ActivatedDevice;
  let client: MqttClient;
  let inbox: Inbox;
  let P: string;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    lamp = await declareAndActivate(api, 'Lamp');
    fan = await declareAndActivate(api, 'Fan');
    P = `$aws/things/${lamp.device.thingName}/shadow`;
    client = await connectMqtt(platform, lamp);
    inbox = new Inbox(client);
    await client.subscribeAsync(['update/accepted', 'update/delta', 'update/documents', 'name/+/update/accepted'].map((suffix) => `${P}/${suffix}`), { qos: 1 });
  });
  afterAll(async () => {
    await client?.endAsync();
    await platform.destroy();
  });

  const shadowUrl = (name?: string) => `/api/v1/things/${lamp.device.thingName}/shadow${name ? `?name=${name}` : ''}`;

  it('updates over MQTT, answers with accepted, delta and documents, and HTTP reads the same shadow', async () => {
    const from = inbox.messages.length;
    await client.publishAsync(`${P}/update`, JSON.stringify({ state: { desired: { on: true, level: 3 }, reported: { on: false } }, clientToken: 'u1' }), { qos: 1 });
    const accepted = await inbox.next(`${P}/update/accepted`, from);
    expect(accepted.body).toMatchObject({ state: { desired: { on: true, level: 3 }, reported: { on: false } }, version: 1, clientToken: 'u1' });
    expect(accepted.body.metadata).toEqual({
      desired: { on: { timestamp: expect.any(Number) }, level: { timestamp: expect.any(Number) } },
      reported: { on: { timestamp: expect.any(Number) } },
    });
    ShadowUpdateAccepted.parse(accepted.body);
    const delta = (await inbox.next(`${P}/update/delta`, from)).body;
    expect(ShadowDelta.parse(delta)).toMatchObject({ state: { on: true, level: 3 }, version: 1 });
    const documents = (await inbox.next(`${P}/update/documents`, from)).body;
    expect(ShadowDocuments.parse(documents)).toMatchObject({ current: { version: 1 } });

    const read = await api.get<ShadowDocument>(shadowUrl());
    expect(read.status).toBe(200);
    ShadowDocument.parse(read.body);
    expect(read.body.state).toEqual({ desired: { on: true, level: 3 }, reported: { on: false }, delta: { on: true, level: 3 } });
    expect(read.body.version).toBe(1);
    expect(Math.abs(read.body.timestamp - Date.now() / 1000)).toBeLessThan(60);
  });

  it('publishes an HTTP update to the MQTT subscribers, and answers 409, 413 and 400 over HTTP', async () => {
    const from = inbox.messages.length;
    const updated = await api.post<ShadowUpdateAccepted>(shadowUrl(), { state: { desired: { level: 5 } }, version: 1 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ state: { desired: { level: 5 } }, version: 2 });
    expect((await inbox.next(`${P}/update/accepted`, from)).body).toMatchObject({ version: 2 });
    expect((await inbox.next(`${P}/update/delta`, from)).body.state).toEqual({ on: true, level: 5 });

    const stale = await api.post<{ error: { code: string; message: string } }>(shadowUrl(), { state: { desired: { level: 6 } }, version: 1 });
    expect([stale.status, stale.body.error.message]).toEqual([409, 'Version conflict']);
    const big = await api.post(shadowUrl(), { state: { reported: { blob: 'x'.repeat(9 * 1024) } } });
    expect(big.status).toBe(413);
    const invalid = await api.post<{ error: { message: string } }>(shadowUrl(), { desired: { level: 1 } });
    expect([invalid.status, invalid.body.error.message]).toEqual([400, 'Missing required node: state']);
    expect((await api.post(`${shadowUrl()}?name=bad$name`, { state: {} })).status).toBe(400);
  });

  it('keeps named shadows apart, deletes over HTTP and continues the version', async () => {
    expect((await api.get(shadowUrl('firmware'))).status).toBe(404);
    const from = inbox.messages.length;
    expect((await api.post(shadowUrl('firmware'), { state: { reported: { version: '1.0.0' } } })).status).toBe(200);
    expect((await inbox.next(`${P}/name/firmware/update/accepted`, from)).body).toMatchObject({ version: 1 });
    expect((await api.get<ShadowDocument>(shadowUrl('firmware'))).body.state).toEqual({ reported: { version: '1.0.0' } });
    const deleted = await api.delete<{ version: number; timestamp: number }>(shadowUrl('firmware'));
    expect(deleted.status).toBe(200);
    expect(ShadowDeleteAccepted.parse(deleted.body)).toEqual({ version: 1, timestamp: expect.any(Number) });
    const missing = await api.get<{ error: { message: string } }>(shadowUrl('firmware'));
    expect([missing.status, missing.body.error.message]).toEqual([404, "No shadow exists with name: 'firmware'"]);
    expect((await api.delete(shadowUrl('firmware'))).status).toBe(404);
    expect((await api.post<ShadowUpdateAccepted>(shadowUrl('firmware'), { state: { reported: { v: 2 } } })).body.version).toBe(2);
    expect((await api.get<ShadowDocument>(shadowUrl())).body.version).toBe(2);
  });

  it('answers 404 for a thing of another workspace, and 401 without a token', async () => {
    const created = await api.post<Workspace>('/api/v1/workspaces', { slug: 'elsewhere', name: 'Elsewhere' });
    expect(created.status).toBe(201);
    const elsewhere = api.inWorkspace('elsewhere');
    expect((await elsewhere.get(shadowUrl())).status).toBe(404);
    expect((await elsewhere.post(shadowUrl(), { state: { desired: { on: false } } })).status).toBe(404);
    expect((await elsewhere.delete(shadowUrl())).status).toBe(404);
    expect((await new Api(platform.baseUrl).get(shadowUrl())).status).toBe(401);
    expect((await api.get<ShadowDocument>(shadowUrl())).body.state.desired).toEqual({ on: true, level: 5 });
  });

  it('answers a requester that never subscribed, and clears the delta once reported catches up', async () => {
    const fanClient = await connectMqtt(platform, fan);
    const fanInbox = new Inbox(fanClient);
    const F = `$aws/things/${fan.device.thingName}/shadow`;
    try {
      await fanClient.publishAsync(`${F}/get`, '', { qos: 1 });
      expect((await fanInbox.next(`${F}/get/rejected`)).body).toMatchObject({
        code: 404,
        message: `No shadow exists with name: '${fan.device.thingName}'`,
      });
      await fanClient.publishAsync(`${F}/update`, JSON.stringify({ state: { desired: { speed: 2 } } }), { qos: 1 });
      await fanClient.publishAsync(`${F}/update`, JSON.stringify({ state: { reported: { speed: 2 }, desired: null } }), { qos: 1 });
      await fanClient.publishAsync(`${F}/get`, JSON.stringify({ clientToken: 'g' }), { qos: 1 });
      const got = await fanInbox.next(`${F}/get/accepted`);
      expect(got.body).toMatchObject({ state: { reported: { speed: 2 } }, version: 2, clientToken: 'g' });
      expect(got.body.state).not.toHaveProperty('delta');
      expect(fanInbox.messages.some((message) => message.topic.endsWith('/update/delta'))).toBe(false);
    } finally {
      await fanClient.endAsync();
    }
  });

  describe('isolation between devices', () => {
    it.each([
      ['publishing an update to', (thing: string) => ({ publish: `$aws/things/${thing}/shadow/update` })],
      ['publishing a delete of', (thing: string) => ({ publish: `$aws/things/${thing}/shadow/delete` })],
      ['getting the named shadow of', (thing: string) => ({ publish: `$aws/things/${thing}/shadow/name/firmware/get` })],
      ['subscribing to the shadow of', (thing: string) => ({ subscribe: `$aws/things/${thing}/shadow/get/accepted` })],
    ])('closes a device %s another device', async (_case, action) => {
      const before = await api.get<ShadowDocument>(shadowUrl());
      const intruder = await connectMqtt(platform, fan);
      intruder.on('error', () => undefined);
      const { publish, subscribe } = action(lamp.device.thingName) as { publish?: string; subscribe?: string };
      const closed = closedBy(intruder, 5_000);
      if (publish) intruder.publish(publish, JSON.stringify({ state: { desired: { on: false } } }), { qos: 1 }, () => undefined);
      if (subscribe) intruder.subscribe(subscribe, { qos: 1 }, () => undefined);
      await closed;
      intruder.end(true);
      const after = await api.get<ShadowDocument>(shadowUrl());
      expect(after.body.version).toBe(before.body.version);
      expect(after.body.state).toEqual(before.body.state);
    });
  });

  describe('malformed requests', () => {
    const cases: Array<[string, string, string, number, string]> = [
      ['update', 'invalid JSON', '{"state":', 400, 'Invalid JSON'],
      ['update', 'no state', '{"version":1}', 400, 'Missing required node: state'],
      ['update', 'a wrong type of state', '{"state":"on"}', 400, 'State node must be an object'],
      ['update', 'a wrong type of desired', '{"state":{"desired":[1]}}', 400, 'Desired node must be an object'],
      ['update', 'a bad version', '{"state":{},"version":"two"}', 400, 'Invalid version'],
      ['update', 'a state over 8 KB', JSON.stringify({ state: { reported: { blob: 'x'.repeat(8200) } } }), 413, 'The payload exceeds the maximum size allowed'],
      ['update', 'too deep a state', JSON.stringify({ state: { reported: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } }), 400, 'JSON contains too many levels of nesting; maximum is 6'],
      ['update', 'a version conflict', '{"state":{},"version":999}', 409, 'Version conflict'],
      ['get', 'invalid JSON', '{nope', 400, 'Invalid JSON'],
      ['get', 'a clientToken over 64 bytes', JSON.stringify({ clientToken: 'x'.repeat(65) }), 400, 'Invalid clientToken'],
      ['delete', 'a wrong type of request', '[1,2]', 400, 'Invalid JSON'],
      ['delete', 'invalid UTF-8', '\u00ff', 415, 'Unsupported documented encoding; supported encoding is UTF-8'],
    ];
    const topics = (prefix: string) => [prefix, `${prefix}/name/settings`];

    it.each(cases)('answers %s with %s on /rejected, classic and named, while another device keeps working', async (operation, _case, payload, code, message) => {
      const fanClient = await connectMqtt(platform, fan);
      const fanInbox = new Inbox(fanClient);
      const F = `$aws/things/${fan.device.thingName}/shadow`;
      const raw = payload === '\u00ff' ? Buffer.from([0xff, 0xfe]) : Buffer.from(payload);
      try {
        for (const prefix of topics(P)) {
          const from = inbox.messages.length;
          await client.publishAsync(`${prefix}/${operation}`, raw, { qos: 1 });
          const rejected = await inbox.next(`${prefix}/${operation}/rejected`, from);
          ShadowErrorResponse.parse(rejected.body);
          expect(rejected.body).toEqual<ShadowErrorResponse>({ code: code as ShadowErrorResponse['code'], message, timestamp: expect.any(Number) });
        }
        await fanClient.publishAsync(`${F}/update`, JSON.stringify({ state: { reported: { alive: _case } }, clientToken: 'ok' }), { qos: 1 });
        expect((await fanInbox.next(`${F}/update/accepted`)).body).toMatchObject({ clientToken: 'ok' });
        expect(client.connected).toBe(true);
      } finally {
        await fanClient.endAsync();
      }
    });

    it('answers an invalid shadow name with 400 and keeps the connection', async () => {
      const from = inbox.messages.length;
      await client.publishAsync(`${P}/name/bad!name/get`, '{"clientToken":"n"}', { qos: 1 });
      expect((await inbox.next(`${P}/name/bad!name/get/rejected`, from)).body).toMatchObject({ code: 400, message: 'Invalid shadow name', clientToken: 'n' });
      expect(client.connected).toBe(true);
    });
  });
});
