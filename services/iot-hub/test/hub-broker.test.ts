import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { createLogger, EventBus } from '@citus/kit';
import { createKeyAndCsr, EmbeddedCertificateAuthority } from '@citus/pki';
import { IngestService } from '../src/app/ingest.service.js';
import { lagHold } from '../src/app/lag-hold.js';
import { ReservedTopicRouter } from '../src/app/reserved-topic.router.js';
import { HubBroker } from '../src/adapters/mqtt/hub.broker.js';
import { DEFAULT_DEVICE_POLICY } from '../src/domain/policy/default-policies.js';
import { compilePolicies } from '../src/domain/policy/policy.evaluator.js';
import type { TelemetryTable } from '../src/domain/telemetry-table.port.js';
import { telemetryStore, type TelemetryStore } from './support/telemetry-fixture.js';

const THING = 'ack-sensor-1';
const WORKSPACE = 'ws_ack';
const defaultPolicy = compilePolicies([DEFAULT_DEVICE_POLICY]);

// The hub's promise to a device: a PUBACK means the message is committed. The store is real; a
// switch makes its write fail, as a full disk would.
describe('HubBroker acknowledgements', () => {
  let dir: string;
  let store: TelemetryStore;
  let broker: HubBroker;
  let port: number;
  let credentials: { key: string; cert: string; ca: string };
  let failWrites = false;
  /** While set, writes wait for it: a store that has fallen behind. */
  let slowStore: Promise<void> | undefined;
  /** The indexer's lag as the hub sees it. */
  let indexerLag = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-hub-'));
    store = telemetryStore();
    const ca = await EmbeddedCertificateAuthority.loadOrCreate(join(dir, 'ca'));
    const { privateKeyPem, csrPem } = await createKeyAndCsr(THING);
    const issued = await ca.signDeviceCsr(csrPem, THING);
    credentials = { key: privateKeyPem, cert: issued.certificatePem, ca: ca.certificatePem };
    const table: TelemetryTable = {
      write: async (entries) => {
        await slowStore;
        if (failWrites) throw new Error('disk full');
        return store.table.write(entries);
      },
      query: (...args) => store.table.query(...args),
      countDeadLetters: (...args) => store.table.countDeadLetters(...args),
      recentDeadLetters: (...args) => store.table.recentDeadLetters(...args),
    };
    const logger = createLogger({ level: 'silent' });
    broker = new HubBroker({
      tls: { ...(await ca.issueServerCertificate(['localhost', '127.0.0.1'])), caPem: ca.certificatePem },
      certificates: { activeCertificate: (id) => (id === issued.certificateId ? { thingName: THING, workspaceId: WORKSPACE } : undefined) },
      ingest: new IngestService(table, new EventBus(logger), logger, {
        hold: lagHold(() => indexerLag, logger, { highWaterMs: 2_000, maxHoldMs: 10_000, pollMs: 10 }),
      }),
      things: { workspaceOfThing: (thingName) => (thingName === THING ? WORKSPACE : undefined) },
      access: { allows: (who, action, resource) => defaultPolicy.allows(action, resource, who) },
      reserved: new ReservedTopicRouter(),
      logger,
    });
    port = await broker.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await broker.close();
    store.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const connectDevice = (): Promise<MqttClient> =>
    connectAsync(`mqtts://127.0.0.1:${port}`, { clientId: THING, ...credentials, reconnectPeriod: 0, protocolVersion: 4 });

  it('acknowledges a message only once it is in the store', async () => {
    failWrites = false;
    const client = await connectDevice();
    await client.publishAsync(`telemetry/${THING}`, JSON.stringify({ value: 7 }), { qos: 1 });
    expect(store.rows().map((row) => JSON.parse(row.payload).value)).toContain(7);
    await client.endAsync();
  });

  it('never acknowledges a message whose write failed, and drops the connection', async () => {
    failWrites = true;
    const client = await connectDevice();
    client.on('error', () => undefined);
    let acknowledged = false;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(`telemetry/${THING}`, JSON.stringify({ value: 8 }), { qos: 1 }, (error) => {
      if (!error) acknowledged = true;
    });
    await closed;
    client.end(true);
    expect(acknowledged).toBe(false);
    expect(store.rows().map((row) => JSON.parse(row.payload).value)).not.toContain(8);
    failWrites = false;
  });

  // The default policy's `telemetry/${thing}/*` passes deeper topics; the telemetry topic check refuses them.
  it.each([`telemetry/${THING}/power/extra`, `telemetry/${THING}/`])('refuses a publish to %s and stores nothing', async (topic) => {
    const client = await connectDevice();
    client.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(topic, JSON.stringify({ value: 9 }), { qos: 1 });
    await closed;
    client.end(true);
    expect(store.rows().map((row) => row.topic)).not.toContain(topic);
  });

  describe('back-pressure: a store or an indexer that falls behind slows PUBACKs, and loses nothing', () => {
    /** Publishes `count` QoS 1 messages at once; resolves with the values acknowledged, in PUBACK order. */
    const publishAll = (client: MqttClient, first: number, count: number): Promise<number[]> => {
      const acked: number[] = [];
      return new Promise((resolve, reject) => {
        for (let value = first; value < first + count; value++) {
          client.publish(`telemetry/${THING}`, JSON.stringify({ value }), { qos: 1 }, (error) => {
            if (error) return reject(error);
            acked.push(value);
            if (acked.length === count) resolve(acked);
          });
        }
      });
    };
    const storedValues = () => new Set(store.rows().map((row) => JSON.parse(row.payload).value as number));

    it('holds every PUBACK while the store is behind, then acknowledges each message once it is stored', async () => {
      let catchUp: () => void = () => undefined;
      slowStore = new Promise<void>((resolve) => (catchUp = resolve));
      const client = await connectDevice();
      const acked: number[] = [];
      const publishing = publishAll(client, 1_000, 300).then((values) => acked.push(...values));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(acked).toEqual([]);
      slowStore = undefined;
      catchUp();
      await publishing;
      expect(acked).toHaveLength(300);
      const stored = storedValues();
      expect(acked.filter((value) => !stored.has(value))).toEqual([]);
      await client.endAsync();
    });

    it('holds PUBACKs while the indexer lags past its high-water mark, and releases them when it catches up', async () => {
      indexerLag = 60_000;
      const client = await connectDevice();
      const acked: number[] = [];
      const publishing = publishAll(client, 2_000, 50).then((values) => acked.push(...values));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(acked).toEqual([]);
      indexerLag = 0;
      await publishing;
      const stored = storedValues();
      expect(acked.filter((value) => !stored.has(value))).toEqual([]);
      expect(acked).toHaveLength(50);
      await client.endAsync();
    });
  });
});
