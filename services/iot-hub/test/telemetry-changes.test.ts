import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@citus/kit';
import { migrate, openDatabase } from '@citus/sqlite';
import { RETENTION_MIGRATIONS, SqliteRetentionRepository } from '../src/adapters/sqlite/retention.repository.js';
import { SqliteTelemetryRepository, TELEMETRY_MIGRATIONS } from '../src/adapters/sqlite/telemetry.repository.js';
import { CHANGE_RETENTION_MS, RetentionService } from '../src/app/retention.service.js';
import type { TelemetryRecord } from '../src/domain/telemetry.model.js';
import { aDeadLetter, aRecord, T0, telemetryStore, type TelemetryStore } from './support/telemetry-fixture.js';

const changes = (store: TelemetryStore) =>
  store.db.prepare('SELECT seq, topic, epoch, at FROM telemetry_changes ORDER BY seq').all() as Array<{ seq: number; topic: string; epoch: number; at: number }>;

describe('telemetry change log (migration v2)', () => {
  let store: TelemetryStore;

  beforeEach(() => (store = telemetryStore()));
  afterEach(() => store.destroy());

  it('logs one change per stored record, in write order, keyed like the record and stamped with its receive time', () => {
    const outcomes = store.repository.write([
      { record: aRecord({ thingName: 'a', deviceEpoch: T0 + 5, receivedAt: T0 + 10 }) },
      { record: aRecord({ thingName: 'b', receivedAt: T0 + 20 }) },
    ]);
    store.repository.write([{ record: aRecord({ thingName: 'a', receivedAt: T0 + 30 }) }]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['stored', 'stored']);
    expect(changes(store)).toEqual([
      { seq: 1, topic: 'telemetry/a', epoch: T0 + 5, at: T0 + 10 },
      { seq: 2, topic: 'telemetry/b', epoch: T0 + 20, at: T0 + 20 },
      { seq: 3, topic: 'telemetry/a', epoch: T0 + 30, at: T0 + 30 },
    ]);
  });

  it('logs a displaced record under the epoch it was stored at', () => {
    store.repository.write([{ record: aRecord({ deviceEpoch: T0, document: { v: 1 } }) }]);
    const [outcome] = store.repository.write([{ record: aRecord({ deviceEpoch: T0, receivedAt: T0 + 7, document: { v: 2 } }) }]);
    expect(outcome).toEqual({ kind: 'stored', topic: 'telemetry/kitchen-1', epoch: T0 + 7 });
    expect(changes(store).map((change) => change.epoch)).toEqual([T0, T0 + 7]);
  });

  it('logs nothing for duplicates, resends of displaced records and dead letters', () => {
    store.repository.write([{ record: aRecord({ deviceEpoch: T0, document: { v: 1 } }) }]);
    store.repository.write([{ record: aRecord({ deviceEpoch: T0, receivedAt: T0 + 7, document: { v: 2 } }) }]);
    const outcomes = store.repository.write([
      { record: aRecord({ deviceEpoch: T0, document: { v: 1 } }) },
      { record: aRecord({ deviceEpoch: T0, receivedAt: T0 + 9, document: { v: 2 } }) },
      { deadLetter: aDeadLetter() },
    ]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['duplicate', 'duplicate', 'dead-lettered']);
    expect(changes(store)).toHaveLength(2);
  });

  it('commits a record and its change together: a failed write leaves neither', () => {
    const broken = { ...aRecord({ thingName: 'b' }), thingName: null } as unknown as TelemetryRecord;
    expect(() => store.repository.write([{ record: aRecord({ thingName: 'a' }) }, { record: broken }])).toThrow(/NOT NULL/);
    expect(store.rows()).toHaveLength(0);
    expect(changes(store)).toHaveLength(0);
  });
});

describe('upgrading a telemetry.db made by migration v1', () => {
  it('adds the change log, keeps the rows, and logs changes from the first write after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'citus-telemetry-v1-'));
    const file = join(dir, 'telemetry.db');
    try {
      const v1 = openDatabase(file, { module: 'iot-hub', migrations: TELEMETRY_MIGRATIONS.filter((migration) => migration.version === 1) });
      v1.prepare(
        `INSERT INTO telemetry (topic, epoch, thing_name, workspace_id, payload, received_at, device_epoch)
         VALUES ('telemetry/old', ?, 'old', 'ws_home', '{"v":1}', ?, NULL)`,
      ).run(T0, T0);
      expect(() => v1.prepare('SELECT 1 FROM telemetry_changes')).toThrow(/no such table/);
      v1.close();

      const db = openDatabase(file, { module: 'iot-hub', migrations: TELEMETRY_MIGRATIONS });
      const versions = db.prepare("SELECT version FROM schema_migrations WHERE module = 'iot-hub' ORDER BY version").pluck().all();
      expect(versions).toEqual([1, 2]);
      expect(db.prepare('SELECT count(*) FROM telemetry').pluck().get()).toBe(1);
      new SqliteTelemetryRepository(db).write([{ record: aRecord({ thingName: 'new', receivedAt: T0 + 1 }) }]);
      expect(db.prepare('SELECT seq, topic FROM telemetry_changes').all()).toEqual([{ seq: 1, topic: 'telemetry/new' }]);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('trimming the change log in the retention sweep', () => {
  const NOW = T0 + 3 * CHANGE_RETENTION_MS;
  let store: TelemetryStore;
  let chunks: number[];

  /** Counts what each trim transaction removed. */
  class CountingRepository extends SqliteRetentionRepository {
    override deleteOldChanges(before: number, limit: number): number {
      const deleted = super.deleteOldChanges(before, limit);
      chunks.push(deleted);
      return deleted;
    }
  }

  const sweeper = () =>
    new RetentionService(new CountingRepository(store.db), createLogger({ level: 'silent' }), { sweepSeconds: 60, chunkSize: 10, now: () => NOW });
  const writeAt = (receivedAt: number, count: number, thingName = 'kitchen-1') =>
    store.repository.write(Array.from({ length: count }, (_, i) => ({ record: aRecord({ thingName, receivedAt: receivedAt + i }) })));

  beforeEach(() => {
    store = telemetryStore();
    migrate(store.db, 'retention', RETENTION_MIGRATIONS);
    chunks = [];
  });
  afterEach(() => store.destroy());

  it('deletes changes older than 24 h in chunks, keeps younger ones and every telemetry row, with no period set', async () => {
    writeAt(NOW - CHANGE_RETENTION_MS - 1_000, 25);
    writeAt(NOW - CHANGE_RETENTION_MS + 1_000, 5);
    await sweeper().sweep();
    expect(chunks).toEqual([10, 10, 5]);
    expect(changes(store).map((change) => change.seq)).toEqual([26, 27, 28, 29, 30]);
    expect(store.rows()).toHaveLength(30);
  });

  it('reads no further than one chunk when nothing is old enough', async () => {
    writeAt(NOW - 1_000, 30);
    await sweeper().sweep();
    expect(chunks).toEqual([0]);
    expect(changes(store)).toHaveLength(30);
  });

  it('never reuses a seq once the whole log was trimmed', async () => {
    writeAt(NOW - 2 * CHANGE_RETENTION_MS, 3);
    await sweeper().sweep();
    expect(changes(store)).toHaveLength(0);
    writeAt(NOW, 1, 'garage-2');
    expect(changes(store).map((change) => change.seq)).toEqual([4]);
  });
});
