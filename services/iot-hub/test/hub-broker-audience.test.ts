import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type IConnackPacket, type MqttClient } from 'mqtt';
import { createLogger, EventBus } from '@citus/kit';
import { createKeyAndCsr, EmbeddedCertificateAuthority } from '@citus/pki';
import { IngestService } from '../src/app/ingest.service.js';
import { ReservedTopicRouter } from '../src/app/reserved-topic.router.js';
import { HubBroker } from '../src/adapters/mqtt/hub.broker.js';
import { DEFAULT_DEVICE_POLICY } from '../src/domain/policy/default-policies.js';
import { compilePolicies } from '../src/domain/policy/policy.evaluator.js';
import { telemetryStore, type TelemetryStore } from './support/telemetry-fixture.js';

const THING = 'audience-lamp-1';
const WORKSPACE = 'ws_audience';
const defaultPolicy = compilePolicies([DEFAULT_DEVICE_POLICY]);

interface Device {
  client: MqttClient;
  connack: IConnackPacket;
  /** Every message the device got, in arrival order, payloads parsed. */
  messages: Array<{ topic: string; payload: unknown }>;
}

/** Polls until the check holds; the broker notices a closed connection a few ticks after the client ends. */
async function eventually(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`not so after ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// The hub skips building a message when `hasAudience` says nobody would get it. Here the audience is
// the real one, fed by a real aedes behind TLS, and the devices are real MQTT clients under the
// default device policy, which lets a thing subscribe to and receive its own `things/{thing}/...`.
describe('HubBroker audience', () => {
  let dir: string;
  let store: TelemetryStore;
  let broker: HubBroker;
  let port: number;
  let credentials: { key: string; cert: string; ca: string };
  const open: MqttClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-hub-audience-'));
    store = telemetryStore();
    const ca = await EmbeddedCertificateAuthority.loadOrCreate(join(dir, 'ca'));
    const { privateKeyPem, csrPem } = await createKeyAndCsr(THING);
    const issued = await ca.signDeviceCsr(csrPem, THING);
    credentials = { key: privateKeyPem, cert: issued.certificatePem, ca: ca.certificatePem };
    const logger = createLogger({ level: 'silent' });
    broker = new HubBroker({
      tls: { ...(await ca.issueServerCertificate(['localhost', '127.0.0.1'])), caPem: ca.certificatePem },
      certificates: { activeCertificate: (id) => (id === issued.certificateId ? { thingName: THING, workspaceId: WORKSPACE } : undefined) },
      ingest: new IngestService(store.table, new EventBus(logger), logger),
      things: { workspaceOfThing: (thingName) => (thingName === THING ? WORKSPACE : undefined) },
      access: { allows: (who, action, resource) => defaultPolicy.allows(action, resource, who) },
      reserved: new ReservedTopicRouter(),
      logger,
    });
    port = await broker.listen(0, '127.0.0.1');
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.end(true);
  });
  afterAll(async () => {
    await broker.close();
    store.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Connects as the thing (MQTT 3.1.1); messages are recorded from the first byte, before CONNACK resolves. */
  const connectDevice = (clean: boolean, mqtt5SessionExpiry?: number): Promise<Device> =>
    new Promise((resolve, reject) => {
      const version = mqtt5SessionExpiry === undefined ? { protocolVersion: 4 as const } : { protocolVersion: 5 as const, properties: { sessionExpiryInterval: mqtt5SessionExpiry } };
      const client = connect(`mqtts://127.0.0.1:${port}`, { clientId: THING, ...credentials, reconnectPeriod: 0, clean, ...version });
      open.push(client);
      const messages: Device['messages'] = [];
      client.on('message', (topic, payload) => messages.push({ topic, payload: JSON.parse(payload.toString()) }));
      client.once('connect', (connack) => resolve({ client, connack, messages }));
      client.once('error', reject);
    });

  const audienceOf = (topic: string): [boolean, boolean] => [broker.hasAudience(topic, 0), broker.hasAudience(topic, 1)];

  it('has an audience only while a clean-session device holds a matching subscription', async () => {
    const topic = `things/${THING}/lamp/on`;
    const filter = `things/${THING}/lamp/+`;
    expect(audienceOf(topic)).toEqual([false, false]);

    const device = await connectDevice(true);
    const granted = await device.client.subscribeAsync(filter, { qos: 1 });
    expect(granted.map((grant) => grant.qos)).toEqual([1]);
    expect(audienceOf(topic)).toEqual([true, true]);
    expect(audienceOf(`things/${THING}/fan/on`)).toEqual([false, false]);

    await device.client.unsubscribeAsync(filter);
    expect(audienceOf(topic)).toEqual([false, false]);

    // At QoS 1 again, then gone with the connection: a clean session keeps nothing for QoS 1 either.
    await device.client.subscribeAsync(filter, { qos: 1 });
    expect(audienceOf(topic)).toEqual([true, true]);
    await device.client.endAsync();
    await eventually(() => !broker.hasAudience(topic, 0));
    expect(audienceOf(topic)).toEqual([false, false]);
  });

  it('keeps an away persistent session\'s QoS 1 subscription heard, queues for it, and forgets it on a clean start', async () => {
    const topic = `things/${THING}/cmd`;
    const first = await connectDevice(false);
    await first.client.subscribeAsync(topic, { qos: 1 });
    await first.client.endAsync();
    await eventually(() => !broker.hasAudience(topic, 0));
    // Away: aedes queues QoS 1 for the session and drops QoS 0.
    expect(audienceOf(topic)).toEqual([false, true]);

    await broker.publish({ topic, payload: { n: 1 }, qos: 1 });

    const back = await connectDevice(false);
    expect(back.connack.sessionPresent).toBe(true);
    await eventually(() => back.messages.length > 0);
    expect(back.messages).toEqual([{ topic, payload: { n: 1 } }]);
    // The restored subscription is live again.
    expect(audienceOf(topic)).toEqual([true, true]);
    await back.client.endAsync();
    await eventually(() => !broker.hasAudience(topic, 0));
    expect(broker.hasAudience(topic, 1)).toBe(true);

    const fresh = await connectDevice(true);
    expect(fresh.connack.sessionPresent).toBe(false);
    await eventually(() => !broker.hasAudience(topic, 1));
    expect(audienceOf(topic)).toEqual([false, false]);
    await fresh.client.endAsync();
  });

  it('forgets an MQTT 5 session\'s subscription on a clean start that keeps a session expiry', async () => {
    const topic = `things/${THING}/cmd5`;
    const first = await connectDevice(false, 600);
    await first.client.subscribeAsync(topic, { qos: 1 });
    await first.client.endAsync();
    await eventually(() => !broker.hasAudience(topic, 0));
    expect(audienceOf(topic)).toEqual([false, true]);

    // Clean Start with a non-zero expiry: the old session is discarded [MQTT-3.1.2-4], the new one persists.
    const fresh = await connectDevice(true, 600);
    expect(fresh.connack.sessionPresent).toBe(false);
    await eventually(() => !broker.hasAudience(topic, 1));
    expect(audienceOf(topic)).toEqual([false, false]);
    await fresh.client.endAsync();
  });

  it('books no refused subscription of a persistent session (a shared subscription, which the broker does not support)', async () => {
    const shared = `$share/group/things/${THING}/cmd6`;
    const device = await connectDevice(false, 600);
    // The SUBACK says 0x9E, Shared Subscriptions not supported; mqtt.js turns it into an error.
    await expect(device.client.subscribeAsync(shared, { qos: 1 })).rejects.toThrow(/Shared Subscriptions not supported/);
    await device.client.endAsync();
    await eventually(() => !device.client.connected);
    expect(audienceOf(shared)).toEqual([false, false]);
    // Ends the session, so later cases start clean.
    await (await connectDevice(true)).client.endAsync();
  });

  it('delivers a reply to its requester though it never subscribed and nobody else hears the topic', async () => {
    const topic = `things/${THING}/reply`;
    const device = await connectDevice(true);
    expect(audienceOf(topic)).toEqual([false, false]);

    await broker.publish({ topic, payload: { answer: 1 }, qos: 1, requester: THING });
    await eventually(() => device.messages.length > 0);
    expect(device.messages).toEqual([{ topic, payload: { answer: 1 } }]);

    // Once it subscribes, a reply reaches it once (as a subscriber), not twice; a plain publish
    // behind it marks the end, since the broker writes to one client in order.
    await device.client.subscribeAsync(topic, { qos: 1 });
    await broker.publish({ topic, payload: { answer: 2 }, qos: 1, requester: THING });
    await broker.publish({ topic, payload: { answer: 3 }, qos: 1 });
    await eventually(() => device.messages.some((message) => (message.payload as { answer: number }).answer === 3));
    expect(device.messages.map((message) => message.payload)).toEqual([{ answer: 1 }, { answer: 2 }, { answer: 3 }]);
    await device.client.endAsync();
  });
});
