import { createLogger, parseConfig } from '@citus/kit';
import { migrate } from '@citus/sqlite';
import { RETENTION_MIGRATIONS, SqliteRetentionRepository } from '../src/adapters/sqlite/retention.repository.js';
import { RetentionService, type ExpiredChunk, type RetentionOptions } from '../src/app/retention.service.js';
import { IotHubConfig } from '../src/config.js';
import { aDeadLetter, aRecord, T0, telemetryStore, WORKSPACE, type TelemetryStore } from './support/telemetry-fixture.js';

const DAY = 86_400_000;
const NOW = T0 + 10 * DAY;
const OTHER = 'ws_other';

/** `count` messages of a thing, one ms apart from `start`, each with its own device timestamp. */
/** The repository, recording what each delete transaction removed. */
class CountingRepository extends SqliteRetentionRepository {
  readonly telemetryChunks: number[] = [];
  readonly deadLetterChunks: number[] = [];

  override deleteExpiredTelemetry(workspaceId: string, before: number, limit: number, resumeAt?: string): ExpiredChunk {
    const chunk = super.deleteExpiredTelemetry(workspaceId, before, limit, resumeAt);
    this.telemetryChunks.push(chunk.deleted);
    return chunk;
  }

  override deleteExpiredDeadLetters(workspaceId: string, before: number, limit: number): number {
    const deleted = super.deleteExpiredDeadLetters(workspaceId, before, limit);
    this.deadLetterChunks.push(deleted);
    return deleted;
  }
}

const series = (thingName: string, start: number, count: number, workspaceId = WORKSPACE) =>
  Array.from({ length: count }, (_, i) => ({
    record: aRecord({ thingName, workspaceId, deviceEpoch: start + i, document: { value: i } }),
  }));

describe('RetentionService sweeps on a real SQLite file', () => {
  let store: TelemetryStore;
  let repository: CountingRepository;
  let debugLines: string[];

  const service = (options: Partial<RetentionOptions> = {}) =>
    new RetentionService(repository, createLogger({ level: 'debug', destination: { write: (line: string) => debugLines.push(line) } }), {
      sweepSeconds: 60,
      now: () => NOW,
      ...options,
    });
  const count = (sql: string, ...params: unknown[]) => store.db.prepare(sql).pluck().get(...params) as number;
  const telemetryOf = (workspaceId: string) => count('SELECT count(*) FROM telemetry WHERE workspace_id = ?', workspaceId);

  beforeEach(() => {
    store = telemetryStore();
    migrate(store.db, 'retention', RETENTION_MIGRATIONS);
    repository = new CountingRepository(store.db);
    debugLines = [];
  });
  afterEach(() => store.destroy());

  it('keeps everything until a period is set: the default is forever', async () => {
    store.repository.write(series('old-1', T0, 10));
    const retention = service();
    expect(retention.setting(WORKSPACE)).toEqual({ days: null, lastSweep: null });
    await retention.sweep();
    expect(telemetryOf(WORKSPACE)).toBe(10);
    expect(retention.setting(WORKSPACE).lastSweep).toBeNull();
  });

  it('deletes telemetry and dead letters older than the period, keeps newer ones and other workspaces', async () => {
    store.repository.write([
      ...series('kitchen-1', T0, 30),
      ...series('kitchen-1', NOW - 2 * DAY, 5),
      ...series('hall-2', T0 + DAY, 20),
      ...series('theirs-1', T0, 40, OTHER),
      { deadLetter: aDeadLetter({ receivedAt: T0 }) },
      { deadLetter: aDeadLetter({ receivedAt: NOW - DAY }) },
      { deadLetter: aDeadLetter({ workspaceId: OTHER, receivedAt: T0 }) },
    ]);
    const retention = service();
    retention.setPeriod(WORKSPACE, 7);
    await retention.sweep();

    const kept = store.db.prepare('SELECT thing_name AS thing, epoch FROM telemetry WHERE workspace_id = ? ORDER BY epoch').all(WORKSPACE);
    expect(kept).toEqual(Array.from({ length: 5 }, (_, i) => ({ thing: 'kitchen-1', epoch: NOW - 2 * DAY + i })));
    expect(telemetryOf(OTHER)).toBe(40);
    expect(store.db.prepare('SELECT workspace_id AS ws, received_at AS at FROM dead_letters ORDER BY id').all()).toEqual([
      { ws: WORKSPACE, at: NOW - DAY },
      { ws: OTHER, at: T0 },
    ]);
    expect(retention.setting(WORKSPACE)).toEqual({
      days: 7,
      lastSweep: { at: new Date(NOW).toISOString(), deleted: { telemetry: 50, deadLetters: 1 } },
    });
    expect(retention.setting(OTHER)).toEqual({ days: null, lastSweep: null });
    const logged = debugLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'retention sweep deleted expired telemetry');
    expect(logged).toMatchObject({ level: 20, workspaceId: WORKSPACE, telemetry: 50, deadLetters: 1 });
  });

  it('deletes 5,000 expired rows in transactions of at most 1,000, across things', async () => {
    store.repository.write([...series('a-1', T0, 2_500), ...series('b-2', T0, 1_700), ...series('c-3', T0, 800), ...series('c-3', NOW, 3)]);
    const retention = service({ chunkSize: 1_000 });
    retention.setPeriod(WORKSPACE, 1);
    await retention.sweep();

    expect(repository.telemetryChunks).toEqual([1_000, 1_000, 1_000, 1_000, 1_000, 0]);
    expect(telemetryOf(WORKSPACE)).toBe(3);
    expect(retention.setting(WORKSPACE).lastSweep?.deleted.telemetry).toBe(5_000);
  });

  it('stops at the cap of chunks per sweep and carries on at the next sweep', async () => {
    store.repository.write(series('a-1', T0, 2_500));
    const retention = service({ chunkSize: 500, maxChunks: 3 });
    retention.setPeriod(WORKSPACE, 1);
    await retention.sweep();
    expect(telemetryOf(WORKSPACE)).toBe(1_000);
    await retention.sweep();
    expect(telemetryOf(WORKSPACE)).toBe(0);
    expect(retention.setting(WORKSPACE).lastSweep?.deleted.telemetry).toBe(1_000);
  });

  it('deletes dead letters in chunks as well', async () => {
    store.repository.write(Array.from({ length: 25 }, (_, i) => ({ deadLetter: aDeadLetter({ receivedAt: T0 + i }) })));
    const retention = service({ chunkSize: 10 });
    retention.setPeriod(WORKSPACE, 1);
    await retention.sweep();
    expect(repository.deadLetterChunks).toEqual([10, 10, 5]);
    expect(count('SELECT count(*) FROM dead_letters')).toBe(0);
  });

  it('stops a sweep between chunks once stopped, so the store can close under it', async () => {
    store.repository.write(series('a-1', T0, 3_000));
    const retention = service({ chunkSize: 1_000 });
    retention.setPeriod(WORKSPACE, 1);
    const sweeping = retention.sweep();
    retention.stop();
    store.db.close();
    await expect(sweeping).resolves.toBeUndefined();
    expect(repository.telemetryChunks).toEqual([1_000]);
  });

  it('sweeps on its timer until stopped', async () => {
    store.repository.write(series('a-1', T0, 10));
    const retention = service({ sweepSeconds: 0.02 });
    retention.setPeriod(WORKSPACE, 1);
    retention.start();
    await waitFor(() => retention.setting(WORKSPACE).lastSweep !== null);
    retention.stop();
    expect(telemetryOf(WORKSPACE)).toBe(0);
    store.repository.write(series('a-1', T0, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(telemetryOf(WORKSPACE)).toBe(10);
  });

  it('keeps the periods in the table, migrates once, and clears one with null', () => {
    const retention = service();
    expect(retention.setPeriod(WORKSPACE, 30)).toEqual({ days: 30, lastSweep: null });
    retention.setPeriod(OTHER, 3650);
    migrate(store.db, 'retention', RETENTION_MIGRATIONS);
    const again = new SqliteRetentionRepository(store.db);
    expect(again.periods()).toEqual([
      { workspaceId: WORKSPACE, days: 30 },
      { workspaceId: OTHER, days: 3650 },
    ]);
    retention.setPeriod(WORKSPACE, null);
    expect(again.period(WORKSPACE)).toBeNull();
    expect(again.periods()).toEqual([{ workspaceId: OTHER, days: 3650 }]);
  });

  // Every index slows ingest: the deletes must use the ones the telemetry table already has.
  it('finds expired rows through existing indexes, never by scanning the table', () => {
    const plan = (sql: string) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((row) => row.detail);
    const telemetryPlan = plan(
      `SELECT topic, epoch FROM telemetry WHERE workspace_id = 'w' AND thing_name = 't' AND epoch < 5 ORDER BY epoch LIMIT 10`,
    );
    expect(telemetryPlan).toEqual([expect.stringMatching(/SEARCH telemetry USING COVERING INDEX telemetry_by_thing/)]);
    const thingPlan = plan(`SELECT min(thing_name) FROM telemetry WHERE workspace_id = 'w' AND thing_name > 't'`);
    expect(thingPlan.join('\n')).toMatch(/SEARCH telemetry USING COVERING INDEX telemetry_by_thing/);
    const deadLetterPlan = plan(`SELECT id FROM dead_letters WHERE workspace_id = 'w' AND received_at < 5 LIMIT 10`);
    expect(deadLetterPlan.join('\n')).toMatch(/USING COVERING INDEX dead_letters_by_age/);
  });
});

describe('CITUS_RETENTION_SWEEP_SECONDS', () => {
  it('defaults to a minute and takes whole seconds from 1 to a day', () => {
    expect(parseConfig(IotHubConfig, {}).CITUS_RETENTION_SWEEP_SECONDS).toBe(60);
    expect(parseConfig(IotHubConfig, { CITUS_RETENTION_SWEEP_SECONDS: '5' }).CITUS_RETENTION_SWEEP_SECONDS).toBe(5);
    for (const bad of ['0', '1.5', 'often', '86401']) {
      expect(() => parseConfig(IotHubConfig, { CITUS_RETENTION_SWEEP_SECONDS: bad })).toThrow(/CITUS_RETENTION_SWEEP_SECONDS/);
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
