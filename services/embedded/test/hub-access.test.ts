import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { Workspace } from '@citus/contracts';
import { connectMqtt, closedBy, openMqtt } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

/** Collects every message the client receives, by topic. */
function inbox(client: MqttClient) {
  const messages: Array<{ topic: string; payload: unknown }> = [];
  client.on('message', (topic, payload) => {
    const text = payload.toString();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    messages.push({ topic, payload: parsed });
  });
  return {
    messages,
    async waitFor(topic: string, within = 3_000): Promise<unknown> {
      const deadline = Date.now() + within;
      for (;;) {
        const found = messages.find((message) => message.topic === topic);
        if (found) return found.payload;
        if (Date.now() > deadline) throw new Error(`no message on ${topic}; got ${messages.map((m) => m.topic).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

const policy = (statements: unknown[]) => ({ Version: '2012-10-17', Statement: statements });

// Who may do what on the hub: people over WebSocket within their workspace, devices per their
// policies within their workspace, and sessions that survive a disconnect.
describe('hub access', () => {
  let platform: TestPlatform;
  let admin: Api;
  let token: string;
  let kitchen: ActivatedDevice;
  let porch: ActivatedDevice;
  let foreign: ActivatedDevice;

  const overWebSocket = (options: IClientOptions = {}): Promise<MqttClient> =>
    connectAsync(`ws://127.0.0.1:${platform.httpPort}/mqtt`, {
      clientId: `console-${Math.random().toString(36).slice(2, 10)}`,
      // [MQTT-3.1.2-22] a password needs a username: the slug of the workspace to act in.
      username: 'default',
      password: token,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...options,
    });

  beforeAll(async () => {
    platform = await bootTestPlatform();
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    token = (await admin.post<{ access_token: string }>('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD })).body.access_token;
    kitchen = await declareAndActivate(admin, 'Kitchen');
    porch = await declareAndActivate(admin, 'Porch');
    await admin.post<Workspace>('/api/v1/workspaces', { slug: 'elsewhere', name: 'Elsewhere' });
    foreign = await declareAndActivate(admin.inWorkspace('elsewhere'), 'Foreign');
  });
  afterAll(() => platform.destroy());

  describe('MQTT over WebSocket at /mqtt', () => {
    it('lets a signed-in person watch presence and live telemetry, and update a shadow', async () => {
      const person = await overWebSocket();
      const received = inbox(person);
      try {
        const thing = kitchen.device.thingName;
        await person.subscribeAsync([`$aws/events/presence/+/${thing}`, `telemetry/${thing}`, `$aws/things/${thing}/shadow/update/accepted`], { qos: 1 });
        const device = await connectMqtt(platform, kitchen);
        const connected = (await received.waitFor(`$aws/events/presence/connected/${thing}`)) as Record<string, unknown>;
        expect(connected).toMatchObject({ clientId: thing, eventType: 'connected', principalIdentifier: kitchen.activation.certificateId });
        expect(connected.versionNumber).toEqual(expect.any(Number));
        await device.publishAsync(`telemetry/${thing}`, JSON.stringify({ value: 42 }), { qos: 1 });
        expect(await received.waitFor(`telemetry/${thing}`)).toEqual({ value: 42 });
        await device.endAsync();
        const disconnected = (await received.waitFor(`$aws/events/presence/disconnected/${thing}`)) as Record<string, unknown>;
        expect(disconnected).toMatchObject({ clientInitiatedDisconnect: true, disconnectReason: 'CLIENT_INITIATED_DISCONNECT' });
        expect(disconnected.versionNumber).toBe((connected.versionNumber as number) + 1);
        await person.publishAsync(`$aws/things/${thing}/shadow/update`, JSON.stringify({ state: { desired: { lamp: 'on' } }, clientToken: 'ws-1' }), { qos: 1 });
        expect(await received.waitFor(`$aws/things/${thing}/shadow/update/accepted`)).toMatchObject({ state: { desired: { lamp: 'on' } }, clientToken: 'ws-1' });
      } finally {
        await person.endAsync();
      }
    });

    it('refuses a connection without a token, with a bad token, or with a thing name as client id', async () => {
      await expect(overWebSocket({ password: undefined })).rejects.toThrow(/bad user ?name or password|not authorized/i);
      await expect(overWebSocket({ password: 'not-a-token' })).rejects.toThrow(/bad user ?name or password|not authorized/i);
      await expect(overWebSocket({ clientId: kitchen.device.thingName })).rejects.toThrow(/identifier rejected/i);
    });

    it("refuses another workspace's thing, wildcards over things, and faking telemetry", async () => {
      for (const [action, topic] of [
        ['subscribe', `telemetry/${foreign.device.thingName}`],
        ['subscribe', 'things/+/status'],
        ['subscribe', '#'],
        ['publish', `telemetry/${kitchen.device.thingName}`],
        ['publish', `$aws/things/${foreign.device.thingName}/shadow/update`],
      ] as const) {
        const person = await overWebSocket();
        const closed = closedBy(person, 3_000);
        if (action === 'subscribe') person.subscribe(topic, { qos: 1 });
        else person.publish(topic, JSON.stringify({ state: { desired: { x: 1 } } }), { qos: 1 });
        await expect(closed).resolves.toEqual(expect.any(Number));
      }
    });

    it('acts in the workspace named as the MQTT username', async () => {
      const person = await overWebSocket({ username: 'elsewhere' });
      const received = inbox(person);
      try {
        const thing = foreign.device.thingName;
        await person.subscribeAsync(`$aws/things/${thing}/shadow/get/accepted`, { qos: 1 });
        await person.publishAsync(`$aws/things/${thing}/shadow/update`, JSON.stringify({ state: { reported: { ok: true } } }), { qos: 1 });
        await person.publishAsync(`$aws/things/${thing}/shadow/get`, '', { qos: 1 });
        expect(await received.waitFor(`$aws/things/${thing}/shadow/get/accepted`)).toMatchObject({ state: { reported: { ok: true } } });
      } finally {
        await person.endAsync();
      }
    });
  });

  it('keeps a persistent session: QoS 1 messages sent while the device was away arrive when it returns', async () => {
    const thing = porch.device.thingName;
    const first = await connectMqtt(platform, porch, { clean: false });
    await first.subscribeAsync(`$aws/things/${thing}/shadow/update/delta`, { qos: 1 });
    await first.endAsync();
    const update = await admin.post(`/api/v1/things/${thing}/shadow`, { state: { desired: { door: 'locked' } } });
    expect(update.status).toBe(200);
    // Listening before the CONNACK: the queued message may come in the same read as it.
    const again = openMqtt(platform, porch, { clean: false });
    const received = inbox(again);
    try {
      expect(await received.waitFor(`$aws/things/${thing}/shadow/update/delta`)).toMatchObject({ state: { door: 'locked' } });
    } finally {
      await again.endAsync();
    }
  });

  describe('policies attached to a certificate', () => {
    beforeAll(async () => {
      const commander = policy([
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: 'arn:aws:iot:*:*:topic/things/*' },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/things/*' },
        { Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/telemetry/${iot:Connection.Thing.ThingName}' },
      ]);
      expect((await admin.post('/api/v1/policies', { policyName: 'commander', policyDocument: commander })).status).toBe(201);
      const attached = await admin.put(`/api/v1/policies/commander/targets/${kitchen.activation.certificateId}`);
      expect(attached.status).toBe(204);
    });

    it("widen a device's rights within its workspace", async () => {
      const commander = await connectMqtt(platform, kitchen);
      const received = inbox(commander);
      const target = await connectMqtt(platform, porch);
      try {
        await commander.subscribeAsync(`things/${porch.device.thingName}/status`, { qos: 1 });
        await target.publishAsync(`things/${porch.device.thingName}/status`, 'ready', { qos: 1 });
        expect(await received.waitFor(`things/${porch.device.thingName}/status`)).toBe('ready');
      } finally {
        await target.endAsync();
        await commander.endAsync();
      }
    });

    it('never reach across workspaces, whatever they allow', async () => {
      const commander = await connectMqtt(platform, kitchen);
      const closed = closedBy(commander, 3_000);
      commander.subscribe(`things/${foreign.device.thingName}/status`, { qos: 1 });
      await expect(closed).resolves.toEqual(expect.any(Number));
    });

    it('let an explicit Deny win over the default Allow', async () => {
      const commander = await connectMqtt(platform, kitchen);
      const closed = closedBy(commander, 3_000);
      commander.publish(`telemetry/${kitchen.device.thingName}`, JSON.stringify({ value: 1 }), { qos: 1 });
      await expect(closed).resolves.toEqual(expect.any(Number));
    });

    it('leave other devices on the least-privilege default', async () => {
      const plain = await connectMqtt(platform, porch);
      const closed = closedBy(plain, 3_000);
      plain.subscribe(`things/${kitchen.device.thingName}/status`, { qos: 1 });
      await expect(closed).resolves.toEqual(expect.any(Number));
    });
  });
});
