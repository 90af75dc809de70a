import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@citus/kit';
import { migrate, openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { SqliteCheckpointStore } from '../src/adapters/sqlite/checkpoint.store.js';
import { SqliteChangeFeed, TELEMETRY_PARTITION, type SqliteChangeFeedOptions } from '../src/adapters/sqlite/sqlite.change-feed.js';
import type { ChangeBatch, ChangeRecord, FeedSubscription } from '../src/domain/change-feed.port.js';
// The hub's real writer, so the feed reads exactly what ingest commits (test-only cross-service import).
import { RETENTION_MIGRATIONS, SqliteRetentionRepository } from '../../iot-hub/src/adapters/sqlite/retention.repository.js';
import { SqliteTelemetryRepository, TELEMETRY_MIGRATIONS } from '../../iot-hub/src/adapters/sqlite/telemetry.repository.js';
import type { TelemetryRecord } from '../../iot-hub/src/domain/telemetry.model.js';

const WORKSPACE = 'ws_home';
const T0 = Date.UTC(2025, 0, 1, 12);
const FAST = { pollMs: 5, backoff: { initialMs: 1, maxMs: 5 } };

/** A record with a device timestamp, so its epoch (and thus its key) is known in advance. */
function aRecord(thingName: string, deviceEpoch: number, value: number): TelemetryRecord {
  const document = { value };
  return { topic: `telemetry/${thingName}`, thingName, workspaceId: WORKSPACE, deviceEpoch, receivedAt: Date.now(), document, payload: JSON.stringify(document) };
}

const series = (thingName: string, start: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ record: aRecord(thingName, start + i, i) }));

const keys = (records: ChangeRecord[]) => records.map((record) => `${record.topic}@${record.epoch}`);

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

describe('SqliteChangeFeed on a real telemetry.db written by the hub repository', () => {
  let dir: string;
  let hubDb: SqliteDatabase;
  let feedDb: SqliteDatabase;
  let checkpointDb: SqliteDatabase;
  let hub: SqliteTelemetryRepository;
  let checkpoints: SqliteCheckpointStore;
  const subscriptions: FeedSubscription[] = [];

  const feed = (options: Partial<SqliteChangeFeedOptions> = {}) => new SqliteChangeFeed({ db: feedDb, checkpoints, ...FAST, ...options });

  /** Starts a consumer that records every batch it is handed. */
  function consume(consumer = 'search', options: Partial<SqliteChangeFeedOptions> = {}, handle?: (batch: ChangeBatch) => Promise<void>) {
    const batches: ChangeBatch[] = [];
    const subscription = feed(options).start(consumer, async (batch) => {
      await handle?.(batch);
      batches.push(batch);
    });
    subscriptions.push(subscription);
    const records = () => batches.flatMap((batch) => batch.records);
    return { subscription, batches, records };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-change-feed-'));
    const file = join(dir, 'telemetry.db');
    hubDb = openDatabase(file, { module: 'iot-hub', migrations: TELEMETRY_MIGRATIONS });
    hub = new SqliteTelemetryRepository(hubDb);
    // The indexer's own connection to the hub's file, as in the embedded platform.
    feedDb = openDatabase(file, { module: 'indexer-feed', migrations: [] });
    checkpointDb = openDatabase(join(dir, 'indexer.db'), { module: 'indexer-test', migrations: [] });
    checkpoints = new SqliteCheckpointStore(checkpointDb);
  });

  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    for (const db of [hubDb, feedDb, checkpointDb]) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every stored record once, in write order, in batches of at most batchSize, with what the index needs', async () => {
    hub.write([...series('kitchen-1', T0, 700), ...series('garage-2', T0, 300)]);
    hub.write(series('kitchen-1', T0 + 700, 200));
    const { batches, records, subscription } = consume('search', { batchSize: 500 });
    await until(() => records().length >= 1_200, '1,200 records');
    await delay(30);

    const expected = [...series('kitchen-1', T0, 700), ...series('garage-2', T0, 300), ...series('kitchen-1', T0 + 700, 200)];
    expect(keys(records())).toEqual(expected.map(({ record }) => `${record.topic}@${record.deviceEpoch}`));
    expect(batches.map((batch) => batch.records.length)).toEqual([500, 500, 200]);
    expect(batches.every((batch) => batch.partition === TELEMETRY_PARTITION)).toBe(true);
    expect(records()[700]).toEqual({ topic: 'telemetry/garage-2', epoch: T0, workspaceId: WORKSPACE, thingName: 'garage-2', payload: '{"value":0}' });
    expect(await checkpoints.load('search', TELEMETRY_PARTITION)).toBe('1200');
    expect(subscription.lagMs()).toBe(0);
  });

  it('picks up records written while it runs', async () => {
    const { records } = consume();
    await delay(20);
    hub.write(series('kitchen-1', T0, 3));
    await until(() => records().length === 3, 'the first write');
    hub.write(series('kitchen-1', T0 + 3, 2));
    await until(() => records().length === 5, 'the second write');
    expect(records().map((record) => record.epoch)).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i));
  });

  it('resumes after the checkpoint when restarted, and keeps each consumer to its own position', async () => {
    hub.write(series('kitchen-1', T0, 10));
    const first = consume();
    await until(() => first.records().length === 10, 'the first run');
    await first.subscription.stop();

    hub.write(series('kitchen-1', T0 + 10, 5));
    const second = consume();
    await until(() => second.records().length === 5, 'the records written while stopped');
    const other = consume('audit');
    await until(() => other.records().length === 15, 'a new consumer reading from the start');
    await delay(30);
    expect(second.records().map((record) => record.epoch)).toEqual([10, 11, 12, 13, 14].map((i) => T0 + i));
    expect(first.records()).toHaveLength(10);
  });

  it('hands a batch whose handle threw over again, and saves no checkpoint until it succeeds', async () => {
    hub.write(series('kitchen-1', T0, 4));
    const attempts: string[][] = [];
    const checkpointsSeen: Array<string | undefined> = [];
    const { records } = consume('search', {}, async (batch) => {
      attempts.push(keys(batch.records));
      checkpointsSeen.push(await checkpoints.load('search', TELEMETRY_PARTITION));
      if (attempts.length < 3) throw new Error('index unavailable');
    });
    await until(() => records().length === 4, 'a successful handle');
    await delay(30);
    expect(attempts).toHaveLength(3);
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[2]).toEqual(attempts[0]);
    expect(checkpointsSeen).toEqual([undefined, undefined, undefined]);
    expect(await checkpoints.load('search', TELEMETRY_PARTITION)).toBe('4');
  });

  it('stop() waits for the batch in hand and its checkpoint', async () => {
    hub.write(series('kitchen-1', T0, 3));
    let entered = false;
    const { subscription, records } = consume('search', {}, async () => {
      entered = true;
      await delay(50);
    });
    await until(() => entered, 'handle to start');
    await subscription.stop();
    expect(records()).toHaveLength(3);
    expect(await checkpoints.load('search', TELEMETRY_PARTITION)).toBe('3');
  });

  it('skips the changes of records retention has deleted, and moves its checkpoint past them', async () => {
    migrate(hubDb, 'retention', RETENTION_MIGRATIONS);
    hub.write(series('old-1', T0, 5));
    hub.write(series('new-2', T0 + 100_000, 2));
    const deleted = new SqliteRetentionRepository(hubDb).deleteExpiredTelemetry(WORKSPACE, T0 + 50_000, 100);
    expect(deleted.deleted).toBe(5);
    hub.write(series('old-1', T0 + 200_000, 5));
    const { batches, records } = consume('search', { batchSize: 5 });
    await until(() => records().length === 7, 'the records still there');
    await delay(30);
    // The first read (5 changes, all gone) hands nothing over, yet is checkpointed.
    expect(batches.map((batch) => batch.records.length)).toEqual([5, 2]);
    expect(keys(records())).toEqual([
      ...series('new-2', T0 + 100_000, 2).map(({ record }) => `${record.topic}@${record.deviceEpoch}`),
      ...series('old-1', T0 + 200_000, 5).map(({ record }) => `${record.topic}@${record.deviceEpoch}`),
    ]);
    expect(await checkpoints.load('search', TELEMETRY_PARTITION)).toBe('12');
  });

  it('delivers nothing for duplicates and dead letters', async () => {
    hub.write(series('kitchen-1', T0, 2));
    hub.write([
      ...series('kitchen-1', T0, 2),
      { deadLetter: { topic: 'telemetry/kitchen-1', thingName: 'kitchen-1', workspaceId: WORKSPACE, reason: 'not JSON', payload: Buffer.from('{x'), receivedAt: T0 } },
    ]);
    const { records } = consume();
    await until(() => records().length === 2, 'the two stored records');
    await delay(50);
    expect(keys(records())).toEqual([`telemetry/kitchen-1@${T0}`, `telemetry/kitchen-1@${T0 + 1}`]);
  });

  it('lets timers and I/O run between full batches while it works off a backlog', async () => {
    hub.write(series('kitchen-1', T0, 3_000));
    const { records } = consume('search', { batchSize: 10 });
    await delay(1);
    const seenByATimer = records().length;
    await until(() => records().length === 3_000, 'the backlog');
    expect(seenByATimer).toBeLessThan(3_000);
  });

  it('reports lag from the newest change it holds while behind', async () => {
    hub.write(series('kitchen-1', T0, 2));
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    const { subscription } = consume('search', {}, async () => {
      entered = true;
      await held;
    });
    await until(() => entered, 'handle to start');
    await delay(40);
    expect(subscription.lagMs()).toBeGreaterThanOrEqual(35);
    release();
    await until(() => subscription.lagMs() === 0, 'catching up');
  });

  it('backs off while telemetry.db has no change log yet, and reads it once the hub has migrated', async () => {
    const file = join(dir, 'later.db');
    const early = openDatabase(file, { module: 'indexer-feed', migrations: [] });
    const warnings: unknown[] = [];
    const logger = { warn: (fields: unknown) => warnings.push(fields) } as unknown as Logger;
    const { records } = consume('search', { db: early, logger });
    await until(() => warnings.length > 0, 'a warning about the missing table');
    const lateHub = openDatabase(file, { module: 'iot-hub', migrations: TELEMETRY_MIGRATIONS });
    new SqliteTelemetryRepository(lateHub).write(series('kitchen-1', T0, 2));
    await until(() => records().length === 2, 'the records written after the migration');
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    lateHub.close();
    early.close();
  });
});
