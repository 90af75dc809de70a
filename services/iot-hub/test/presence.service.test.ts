import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { PresenceService, type ConnectionFacts } from '../src/app/presence.service.js';
import { CONNECTIVITY_MIGRATIONS, SqliteConnectivityRepository } from '../src/adapters/sqlite/connectivity.repository.js';
import type { OutboundMessage } from '../src/domain/message-publisher.port.js';

const facts = (sessionIdentifier: string): ConnectionFacts => ({
  requester: { clientId: 'porch-1', workspaceId: 'ws_1', thingName: 'porch-1', certificateId: 'a'.repeat(64) },
  sessionIdentifier,
  ipAddress: '127.0.0.1',
});

describe('PresenceService', () => {
  let dir: string;
  let db: SqliteDatabase;
  let sent: OutboundMessage[];
  let clock: number;
  let presence: PresenceService;

  const open = () => {
    db = openDatabase(join(dir, 'presence.db'), { module: 'presence', migrations: CONNECTIVITY_MIGRATIONS });
    presence = new PresenceService(
      new SqliteConnectivityRepository(db),
      { publish: async (message) => void sent.push(message) },
      createLogger({ level: 'silent' }),
      () => clock,
    );
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-presence-'));
    sent = [];
    clock = 1_700_000_000_000;
    open();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes connected and disconnected events in AWS IoT shape with rising version numbers', () => {
    presence.connected(facts('s1'));
    clock += 5_000;
    presence.disconnected(facts('s1'), 'MQTT_KEEP_ALIVE_TIMEOUT');
    expect(sent.map((message) => message.topic)).toEqual([
      '$aws/events/presence/connected/porch-1',
      '$aws/events/presence/disconnected/porch-1',
    ]);
    expect(sent[0]?.payload).toEqual({
      clientId: 'porch-1',
      timestamp: 1_700_000_000_000,
      eventType: 'connected',
      sessionIdentifier: 's1',
      principalIdentifier: 'a'.repeat(64),
      ipAddress: '127.0.0.1',
      versionNumber: 1,
    });
    expect(sent[1]?.payload).toMatchObject({
      eventType: 'disconnected',
      timestamp: 1_700_000_005_000,
      clientInitiatedDisconnect: false,
      disconnectReason: 'MQTT_KEEP_ALIVE_TIMEOUT',
      versionNumber: 2,
    });
  });

  it('marks a clean DISCONNECT as client-initiated', () => {
    presence.connected(facts('s1'));
    presence.disconnected(facts('s1'), 'CLIENT_INITIATED_DISCONNECT');
    expect(sent[1]?.payload).toMatchObject({ clientInitiatedDisconnect: true, disconnectReason: 'CLIENT_INITIATED_DISCONNECT' });
  });

  it('keeps connectivity and the version counter across a restart', () => {
    presence.connected(facts('s1'));
    presence.disconnected(facts('s1'), 'CONNECTION_LOST');
    db.close();
    open();
    expect(presence.connectivityOf('porch-1')).toEqual({ connected: false, timestamp: clock, disconnectReason: 'CONNECTION_LOST' });
    presence.connected(facts('s2'));
    expect(sent.at(-1)?.payload).toMatchObject({ versionNumber: 3, sessionIdentifier: 's2' });
    expect(presence.connectivityOf('porch-1')).toEqual({ connected: true, timestamp: clock });
  });

  it('knows nothing of a client never seen', () => {
    expect(presence.connectivityOf('never-1')).toBeUndefined();
  });

  it("answers a list's connectivity in one workspace only, leaving out clients never seen or seen elsewhere", () => {
    presence.connected(facts('s1'));
    presence.connected({ ...facts('s2'), requester: { ...facts('s2').requester, clientId: 'shed-1', thingName: 'shed-1', workspaceId: 'ws_2' } });
    const found = presence.connectivityIn('ws_1', ['porch-1', 'shed-1', 'never-1', 'porch-1']);
    expect([...found]).toEqual([['porch-1', { connected: true, timestamp: clock }]]);
    expect([...presence.connectivityIn('ws_2', ['porch-1', 'shed-1']).keys()]).toEqual(['shed-1']);
  });
});
