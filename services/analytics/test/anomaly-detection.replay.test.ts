import { join } from 'node:path';
import type { Anomaly } from '@citus/contracts';
import { createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { ANALYTICS_MIGRATIONS } from '../src/adapters/sqlite/analytics.migrations.js';
import { SqliteDetectionStore } from '../src/adapters/sqlite/detection.store.js';
import { SqliteSettingsRepository } from '../src/adapters/sqlite/settings.repository.js';
import { AnomalyDetectionService } from '../src/app/anomaly-detection.service.js';
import { DetectionSettingsService } from '../src/app/detection-settings.service.js';
import type { DetectionCommit } from '../src/domain/detection-store.port.js';
import type { StoredMessage } from '../src/domain/telemetry-points.rules.js';
import { removeDir, tempDataDir } from './support/analytics.fixture.js';

const logger = createLogger({ level: 'silent' });
const WS = 'ws_replay';
const T0 = Date.UTC(2025, 0, 1);

/** One "process": the service over `analytics.db` in `dir`, every series scored (threshold 0), so every score is kept. */
function open(dir: string, options: { maxLiveSeries?: number; failCommit?: number; maxSeriesPerThing?: number } = {}) {
  const db: SqliteDatabase = openDatabase(join(dir, 'analytics.db'), { module: 'analytics', migrations: ANALYTICS_MIGRATIONS });
  const store = new SqliteDetectionStore(db);
  let commits = 0;
  const flaky = Object.assign(Object.create(store) as SqliteDetectionStore, {
    commit: (batch: DetectionCommit) => {
      commits += 1;
      if (commits === options.failCommit) throw new Error('disk I/O error (injected)');
      return store.commit(batch);
    },
  });
  const settings = new DetectionSettingsService(new SqliteSettingsRepository(db), { workspaceOfThing: () => WS });
  settings.setWorkspace(WS, { detector: 'windowed-gaussian', threshold: 0, enabled: true });
  const announced: Anomaly[] = [];
  const detection = new AnomalyDetectionService(flaky, settings, logger, {
    maxLiveSeries: options.maxLiveSeries ?? 10_000,
    maxSeriesPerThing: options.maxSeriesPerThing ?? 256,
    onAnomaly: (a) => announced.push(a),
  });
  const scores = () => store.listAnomalies(WS, { limit: 1_000_000 }).map(({ thingName, field, epoch, score }) => ({ thingName, field, epoch, score }));
  return { db, detection, announced, scores };
}

/** `count` messages of `things` things, two fields each, values that wander. */
function messages(count: number, things = 1, from = 0): StoredMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const thingName = `thing-${n % things}`;
    return { topic: `telemetry/${thingName}`, epoch: T0 + n * 1_000, workspaceId: WS, thingName, payload: JSON.stringify({ a: Math.sin(n / 3) * 10, b: { c: (n % 7) - 3 } }) };
  });
}

const sorted = <T extends { epoch: number; thingName: string; field: string }>(rows: T[]) =>
  [...rows].sort((x, y) => x.epoch - y.epoch || x.thingName.localeCompare(y.thingName) || x.field.localeCompare(y.field));

describe('anomaly detection across restarts and replays', () => {
  const dirs: string[] = [];
  const dir = () => {
    const made = tempDataDir();
    dirs.push(made);
    return made;
  };
  const opened: SqliteDatabase[] = [];
  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
    for (const made of dirs.splice(0)) removeDir(made);
  });
  const run = (where: string, options?: Parameters<typeof open>[1]) => {
    const service = open(where, options);
    opened.push(service.db);
    return service;
  };

  it('scores a series stopped half-way and restarted exactly as one run straight through', async () => {
    const all = messages(200);
    const straight = run(dir());
    for (let i = 0; i < all.length; i += 25) await straight.detection.handle(all.slice(i, i + 25));

    const split = dir();
    const first = run(split);
    for (let i = 0; i < 100; i += 25) await first.detection.handle(all.slice(i, i + 25));
    // What the service does at stop, once the feed has stopped.
    expect(first.detection.saveStates()).toBe(2);
    const second = run(split);
    for (let i = 100; i < all.length; i += 25) await second.detection.handle(all.slice(i, i + 25));

    expect(sorted(second.scores())).toEqual(sorted(straight.scores()));
    expect(straight.scores()).toHaveLength(400);
  });

  it('does not fold a replayed batch twice, in the same process or after a crash', async () => {
    const batch = messages(50);
    const later = messages(10, 1, 50);
    const reference = run(dir());
    await reference.detection.handle(batch);
    await reference.detection.handle(later);

    const where = dir();
    const crashed = run(where);
    await crashed.detection.handle(batch);
    // A periodic save: the feed's position would be released up to here.
    crashed.detection.saveStates();
    // The feed had not saved its checkpoint when this came: the same batch comes again.
    await crashed.detection.handle(batch);
    // Learnt in memory only, then the process dies: the feed never released this batch's position.
    await crashed.detection.handle(later);
    expect(crashed.detection.stats()).toEqual(expect.objectContaining({ points: 120, skipped: 100, unsavedSeries: 2 }));

    // The next process reads again from the last released position: both batches come again.
    const restarted = run(where);
    await restarted.detection.handle(batch);
    await restarted.detection.handle(later);
    expect(restarted.detection.stats()).toEqual(expect.objectContaining({ points: 20, skipped: 100 }));
    expect(sorted(restarted.scores())).toEqual(sorted(reference.scores()));
    // Anomalies are stored and announced once per point whatever the replays: the crashed process
    // had stored the later batch's, so the restarted one finds them again but announces none.
    expect(restarted.scores()).toHaveLength(120);
    expect(crashed.announced).toHaveLength(120);
    expect(restarted.announced).toHaveLength(0);
  });

  it('after a failed commit, the retried batch scores as if it had never failed', async () => {
    const reference = run(dir());
    const failing = run(dir(), { failCommit: 2 });
    const batches = [messages(30), messages(30, 1, 30)];
    for (const batch of batches) await reference.detection.handle(batch);
    await failing.detection.handle(batches[0] ?? []);
    await expect(failing.detection.handle(batches[1] ?? [])).rejects.toThrow('injected');
    expect(failing.announced).toHaveLength(60);
    await failing.detection.handle(batches[1] ?? []);
    expect(sorted(failing.scores())).toEqual(sorted(reference.scores()));
  });

  it('keeps 10,000 live series, and scores the same with a few in memory, reopening the rest from their snapshots', async () => {
    const all = messages(15_000, 5_000);
    const roomy = run(dir(), { maxLiveSeries: 10_000 });
    const tight = run(dir(), { maxLiveSeries: 100 });
    for (let i = 0; i < all.length; i += 500) {
      await roomy.detection.handle(all.slice(i, i + 500));
      await tight.detection.handle(all.slice(i, i + 500));
    }
    expect(roomy.detection.stats()).toEqual({ points: 30_000, skipped: 0, anomalies: 30_000, refused: 0, liveSeries: 10_000, unsavedSeries: 10_000 });
    // The other 9,900 were saved as they left memory.
    expect(tight.detection.stats()).toEqual({ points: 30_000, skipped: 0, anomalies: 30_000, refused: 0, liveSeries: 100, unsavedSeries: 100 });
    expect(sorted(tight.scores())).toEqual(sorted(roomy.scores()));
  });

  it('starts a series afresh when the detector its settings name is not the one it ran', async () => {
    const where = dir();
    const first = run(where);
    await first.detection.handle(messages(20));
    first.detection.saveStates();
    const db = first.db;
    // As if the series had run a detector its settings no longer name (since replaced or removed).
    db.prepare("UPDATE analytics_series SET detector = 'retired-detector' WHERE field = 'a'").run();
    const second = run(where);
    await second.detection.handle(messages(2, 1, 20));
    const latest = (field: string) => second.scores().filter((row) => row.field === field && row.epoch === T0 + 20_000);
    // A fresh windowed Gaussian scores its first point 0; the other field continues its state.
    expect(latest('a')).toEqual([expect.objectContaining({ score: 0 })]);
    expect(latest('b.c')[0]?.score).toBeGreaterThan(0);
    second.detection.saveStates();
    expect(db.prepare("SELECT detector FROM analytics_series WHERE field = 'a'").pluck().get()).toBe('windowed-gaussian');
  });

  it('lets a thing have only so many series, counting the saved ones, and analyses the rest of its fields', async () => {
    const where = dir();
    const first = run(where, { maxSeriesPerThing: 3 });
    const message = (n: number, payload: object): StoredMessage => ({ topic: 'telemetry/thing-0', epoch: T0 + n * 1_000, workspaceId: WS, thingName: 'thing-0', payload: JSON.stringify(payload) });
    await first.detection.handle([message(0, { a: 1, b: 2 })]);
    // A device inventing keys: only one more series is admitted.
    await first.detection.handle([message(1, { a: 1, b: 2, k1: 5, k2: 6, k3: 7 })]);
    expect(first.detection.stats()).toEqual(expect.objectContaining({ points: 5, refused: 2, liveSeries: 3 }));
    first.detection.saveStates();

    const second = run(where, { maxSeriesPerThing: 3 });
    await second.detection.handle([message(2, { a: 1, k1: 5, k9: 1 })]);
    expect(second.detection.stats()).toEqual(expect.objectContaining({ points: 2, refused: 1 }));
    // Another thing has its own allowance.
    await second.detection.handle([{ ...message(3, { x: 1, y: 2 }), topic: 'telemetry/thing-1', thingName: 'thing-1' }]);
    expect(second.detection.stats()).toEqual(expect.objectContaining({ points: 4, refused: 1 }));
  });
});
