import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { AppError, createLogger, EventBus, type AccessContext } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { EmbeddedCertificateAuthority } from '@citus/pki';
import { IngestService } from '../src/app/ingest.service.js';
import { PresenceService } from '../src/app/presence.service.js';
import { ReservedTopicRouter } from '../src/app/reserved-topic.router.js';
import { HubBroker } from '../src/adapters/mqtt/hub.broker.js';
import { mqttOverWebSocket } from '../src/adapters/mqtt/websocket.listener.js';
import { CONNECTIVITY_MIGRATIONS, SqliteConnectivityRepository } from '../src/adapters/sqlite/connectivity.repository.js';
import { workspaceUserAccess } from '../src/domain/workspace-user.access.js';
import type { OutboundMessage } from '../src/domain/message-publisher.port.js';
import { telemetryStore, type TelemetryStore } from './support/telemetry-fixture.js';

const WORKSPACE = { id: 'ws_1', slug: 'default', role: 'user' as const };

// A person's MQTT session over WebSocket rests on an access token: it must end when the token does.
describe('MQTT over WebSocket sessions', () => {
  let dir: string;
  let store: TelemetryStore;
  let presenceDb: SqliteDatabase;
  let broker: HubBroker;
  let http: Server;
  let url: string;
  let tokenLifetimeMs = 60_000;
  const events: OutboundMessage[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-ws-'));
    store = telemetryStore();
    const ca = await EmbeddedCertificateAuthority.loadOrCreate(join(dir, 'ca'));
    const logger = createLogger({ level: 'silent' });
    const things = { workspaceOfThing: (thingName: string) => (thingName === 'lamp-1' ? WORKSPACE.id : undefined) };
    presenceDb = openDatabase(join(dir, 'presence.db'), { module: 'presence', migrations: CONNECTIVITY_MIGRATIONS });
    const presence = new PresenceService(new SqliteConnectivityRepository(presenceDb), { publish: async (m) => void events.push(m) }, logger);
    broker = new HubBroker({
      tls: { ...(await ca.issueServerCertificate(['localhost'])), caPem: ca.certificatePem },
      certificates: { activeCertificate: () => undefined },
      things,
      access: workspaceUserAccess(things),
      ingest: new IngestService(store.table, new EventBus(logger), logger),
      reserved: new ReservedTopicRouter(),
      presence,
      people: async (token): Promise<AccessContext> => {
        if (token !== 'good-token') throw new AppError('unauthorized', 'invalid or expired token');
        return { userId: 'usr_1', username: 'ada', platformAdmin: false, workspace: WORKSPACE, expiresAt: Date.now() + tokenLifetimeMs };
      },
      logger,
    });
    await broker.listen(0, '127.0.0.1');
    const upgrade = mqttOverWebSocket(() => broker);
    http = createServer((_req, res) => res.writeHead(404).end());
    http.on('upgrade', (req, socket, head) => {
      if (!upgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/mqtt`;
  });
  afterAll(async () => {
    await broker.close();
    await new Promise((resolve) => http.close(resolve));
    presenceDb.close();
    store.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const connectPerson = (clientId: string, password = 'good-token') =>
    connectAsync(url, { clientId, username: 'default', password, reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 3_000 });

  it('lets a person with a valid token watch a thing of their workspace', async () => {
    tokenLifetimeMs = 60_000;
    const person = await connectPerson('console-ok');
    await person.subscribeAsync('$aws/things/lamp-1/shadow/update/accepted', { qos: 1 });
    expect(person.connected).toBe(true);
    await person.endAsync();
  });

  it('refuses a bad token', async () => {
    await expect(connectPerson('console-bad', 'stolen')).rejects.toThrow(/bad user ?name or password/i);
  });

  it('closes the session when the access token expires, and says why', async () => {
    tokenLifetimeMs = 400;
    const person = await connectPerson('console-expiring');
    const started = Date.now();
    await new Promise<void>((resolve) => person.once('close', () => resolve()));
    person.end(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    const disconnected = events.find((event) => event.topic === '$aws/events/presence/disconnected/console-expiring');
    expect(disconnected?.payload).toMatchObject({ disconnectReason: 'WEBSOCKET_TTL_EXPIRATION', clientInitiatedDisconnect: false });
  });
});
