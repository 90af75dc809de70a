import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '@citus/kit';
import { FtsSearchIndex } from '../src/adapters/sqlite/fts.search-index.js';
import { IndexerService, SEARCH_CONSUMER } from '../src/app/indexer.service.js';
import type { ChangeBatch, ChangeFeed, ChangeRecord, FeedSubscription } from '../src/domain/change-feed.port.js';
import type { SearchIndex, TelemetryDocument } from '../src/domain/search-index.port.js';
import { aDevice, aQuery, OTHER_WORKSPACE, T0, THING, WORKSPACE } from './support/search-fixture.js';

const logger = createLogger({ level: 'silent' });

/**
 * An in-memory change feed with the port's semantics: batches in order, a rejected batch handed
 * again (after a short pause), the position moved only after `handle` resolved.
 */
class MemoryChangeFeed implements ChangeFeed {
  readonly records: ChangeRecord[] = [];
  position = 0;
  consumers: string[] = [];
  deliveries = 0;

  constructor(private readonly batchSize: number) {}

  start(consumer: string, handle: (batch: ChangeBatch) => Promise<void>): FeedSubscription {
    this.consumers.push(consumer);
    let stopped = false;
    const running = (async () => {
      while (!stopped) {
        const records = this.records.slice(this.position, this.position + this.batchSize);
        if (records.length === 0) {
          await delay(2);
          continue;
        }
        this.deliveries += 1;
        try {
          await handle({ partition: 'memory', records });
          this.position += records.length;
        } catch {
          await delay(2);
        }
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        await running;
      },
      lagMs: () => (this.position < this.records.length ? 1_234 : 0),
    };
  }
}

const aRecord = (epoch: number, payload: object, thingName = THING, workspaceId = WORKSPACE): ChangeRecord => ({
  topic: `telemetry/${thingName}`,
  epoch,
  workspaceId,
  thingName,
  payload: JSON.stringify(payload),
});

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

describe('IndexerService with the FTS5 index on a real file', () => {
  let dir: string;
  let index: FtsSearchIndex;
  let feed: MemoryChangeFeed;
  let indexer: IndexerService;

  const telemetryIds = async (text: string, workspaceId = WORKSPACE) =>
    (await index.search(workspaceId, aQuery(text, { kind: 'telemetry', limit: 100 }))).items.map((hit) =>
      hit.kind === 'telemetry' ? hit.telemetry.id : hit.device.thingName,
    );

  /** An indexer over `target` (the real index unless a test wraps it). */
  const startIndexer = (target: SearchIndex = index) => {
    indexer = new IndexerService(target, logger);
    indexer.start(feed);
    return indexer;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-indexer-'));
    index = FtsSearchIndex.open(join(dir, 'search.db'));
    feed = new MemoryChangeFeed(3);
  });
  afterEach(async () => {
    await indexer?.stop();
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('indexes every batch of the feed under its consumer name, and counts them', async () => {
    startIndexer();
    for (let i = 0; i < 7; i++) feed.records.push(aRecord(T0 + i, { label: 'Leakage', unit: 'PPM', value: i }));
    feed.records.push(aRecord(T0, { label: 'Leakage' }, 'other-thing', OTHER_WORKSPACE));
    await until(() => indexer.stats().records === 8, 'eight records indexed');
    expect(feed.consumers).toEqual([SEARCH_CONSUMER]);
    expect((await telemetryIds('leakage ppm')).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `telemetry/${THING}#${T0 + i}`));
    expect(await telemetryIds('leakage', OTHER_WORKSPACE)).toEqual([`telemetry/other-thing#${T0}`]);
    expect(indexer.stats()).toMatchObject({ batches: 3, records: 8, failedBatches: 0 });
    expect(indexer.lagMs()).toBe(0);
  });

  it('rejects a batch whose write failed, so the feed hands it again; nothing is lost or doubled', async () => {
    let failures = 2;
    const flaky: SearchIndex = Object.assign(Object.create(index) as SearchIndex, {
      upsertTelemetry: async (documents: TelemetryDocument[]) => {
        if (failures-- > 0) throw new Error('disk full');
        await index.upsertTelemetry(documents);
      },
    });
    startIndexer(flaky);
    feed.records.push(aRecord(T0, { label: 'Pressure' }), aRecord(T0 + 1, { label: 'Pressure' }));
    await until(() => indexer.stats().records === 2, 'the batch indexed after two failures');
    expect(feed.deliveries).toBe(3);
    expect(indexer.stats()).toMatchObject({ batches: 1, records: 2, failedBatches: 2 });
    expect((await telemetryIds('pressure')).sort()).toEqual([`telemetry/${THING}#${T0}`, `telemetry/${THING}#${T0 + 1}`]);
  });

  it('skips only the documents the index refuses for good, and indexes the rest of the batch', async () => {
    const refusing: SearchIndex = Object.assign(Object.create(index) as SearchIndex, {
      upsertTelemetry: async (documents: TelemetryDocument[]) => {
        const bad = documents.filter((document) => document.label === 'Broken').map((document) => document.id);
        if (bad.length > 0) throw Object.assign(new Error('mapper_parsing_exception'), { retryable: false, failedIds: bad });
        await index.upsertTelemetry(documents);
      },
    });
    startIndexer(refusing);
    feed.records.push(aRecord(T0, { label: 'Humidity' }), aRecord(T0 + 1, { label: 'Broken' }), aRecord(T0 + 2, { label: 'Humidity' }));
    await until(() => indexer.stats().records === 3, 'the batch handled');
    expect(indexer.stats()).toMatchObject({ rejectedDocuments: 1, failedBatches: 0 });
    expect((await telemetryIds('humidity')).sort()).toEqual([`telemetry/${THING}#${T0}`, `telemetry/${THING}#${T0 + 2}`]);
  });

  it('keeps device documents current from registry events, and removes a deleted thing but not its telemetry', async () => {
    startIndexer();
    feed.records.push(aRecord(T0, { label: 'Leakage', note: 'kitchen' }));
    await until(() => indexer.stats().records === 1, 'telemetry indexed');
    await indexer.deviceChanged(aDevice({ name: 'Kitchen gas sensor' }));
    await indexer.deviceChanged(aDevice({ name: 'Cellar gas sensor', location: 'Cellar' }));
    const devices = async (text: string) => (await index.search(WORKSPACE, aQuery(text, { kind: 'device' }))).items;
    expect(await devices('kitchen')).toEqual([]);
    expect(await devices('cellar')).toEqual([
      expect.objectContaining({ kind: 'device', device: expect.objectContaining({ thingName: THING, name: 'Cellar gas sensor' }) }),
    ]);
    await indexer.thingDeleted(WORKSPACE, THING);
    expect(await devices('cellar')).toEqual([]);
    expect(await telemetryIds('kitchen')).toEqual([`telemetry/${THING}#${T0}`]);
    expect(indexer.stats()).toMatchObject({ devicesUpserted: 2, devicesRemoved: 1 });
  });

  it('writes a burst of registry changes in one index write, the last change of a thing winning', async () => {
    let writes = 0;
    const counting: SearchIndex = Object.assign(Object.create(index) as SearchIndex, {
      upsertDevices: (documents: Parameters<SearchIndex['upsertDevices']>[0]) => {
        writes += 1;
        return index.upsertDevices(documents);
      },
    });
    startIndexer(counting);
    await indexer.devicesChanged([
      aDevice({ thingName: 'pump-1', name: 'Pump one' }),
      aDevice({ thingName: 'pump-2', name: 'Pump two' }),
      aDevice({ thingName: 'pump-1', name: 'Pump renamed' }),
    ]);
    expect(writes).toBe(1);
    const names = (await index.search(WORKSPACE, aQuery('pump', { kind: 'device' }))).items.map((hit) => (hit.kind === 'device' ? hit.device.name : ''));
    expect(names.sort()).toEqual(['Pump renamed', 'Pump two']);
    expect(indexer.stats().devicesUpserted).toBe(3);
  });

  it('reports the feed lag while behind, and refuses a second start', async () => {
    const slow: SearchIndex = Object.assign(Object.create(index) as SearchIndex, {
      upsertTelemetry: async (documents: TelemetryDocument[]) => {
        await delay(50);
        await index.upsertTelemetry(documents);
      },
    });
    expect(new IndexerService(index, logger).lagMs()).toBe(0);
    startIndexer(slow);
    for (let i = 0; i < 9; i++) feed.records.push(aRecord(T0 + i, { label: 'Leakage' }));
    await delay(10);
    expect(indexer.lagMs()).toBe(1_234);
    expect(() => indexer.start(feed)).toThrow(/already/);
    await until(() => indexer.stats().records === 9, 'caught up');
    expect(indexer.lagMs()).toBe(0);
  });
});
