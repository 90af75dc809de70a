import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, EventBus, HealthRegistry, parseConfig, Shutdown, type PlatformEvents } from '@citus/kit';
import { FtsSearchIndex } from '../src/adapters/sqlite/fts.search-index.js';
import { DEVICES_CONSUMER, DeviceFeedIndexer } from '../src/app/device-feed.indexer.js';
import { IndexerService, SEARCH_CONSUMER } from '../src/app/indexer.service.js';
import { IndexerConfig } from '../src/config.js';
import type { ChangeBatch, ChangeFeed, FeedSubscription } from '../src/domain/change-feed.port.js';
import type { DeviceChange } from '../src/domain/device-change.model.js';
import type { SearchIndex } from '../src/domain/search-index.port.js';
import { createService, type DeviceSource } from '../src/service.js';
import { aDevice, aQuery, WORKSPACE } from './support/search-fixture.js';

const logger = createLogger({ level: 'silent' });

/** Hands the batches a test gives it, one at a time, and keeps what `handle` answered. */
class ScriptedDeviceFeed implements ChangeFeed<DeviceChange> {
  consumer: string | undefined;
  private handle: ((batch: ChangeBatch<DeviceChange>) => Promise<void>) | undefined;

  start(consumer: string, handle: (batch: ChangeBatch<DeviceChange>) => Promise<void>): FeedSubscription {
    this.consumer = consumer;
    this.handle = handle;
    return { stop: async () => undefined, lagMs: () => 0 };
  }

  deliver(...records: DeviceChange[]): Promise<void> {
    if (!this.handle) throw new Error('not started');
    return this.handle({ partition: 'shard-1', records });
  }
}

const changed = (overrides: Parameters<typeof aDevice>[0] = {}): DeviceChange => ({ kind: 'changed', device: aDevice(overrides) });
const deleted = (thingName: string): DeviceChange => ({ kind: 'deleted', workspaceId: WORKSPACE, thingName });

describe('DeviceFeedIndexer with the FTS5 index on a real file', () => {
  let dir: string;
  let index: FtsSearchIndex;
  let feed: ScriptedDeviceFeed;
  let service: IndexerService;

  const deviceNames = async (text: string) =>
    (await index.search(WORKSPACE, aQuery(text, { kind: 'device' }))).items.map((hit) => (hit.kind === 'device' ? hit.device.name : hit.kind));

  const started = (target: SearchIndex = index) => {
    service = new IndexerService(target, logger);
    const devices = new DeviceFeedIndexer(service, logger);
    devices.start(feed);
    return devices;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-device-feed-'));
    index = FtsSearchIndex.open(join(dir, 'search.db'));
    feed = new ScriptedDeviceFeed();
  });
  afterEach(async () => {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the feed under a consumer name of its own, not the telemetry one', () => {
    started();
    expect(feed.consumer).toBe(DEVICES_CONSUMER);
    expect(DEVICES_CONSUMER).not.toBe(SEARCH_CONSUMER);
  });

  it('applies a batch in its order: a device changed, deleted, and declared again under its name is found as last declared', async () => {
    started();
    await feed.deliver(
      changed({ thingName: 'boiler-1', name: 'Cellar boiler' }),
      changed({ thingName: 'boiler-2', name: 'Attic boiler' }),
      changed({ thingName: 'boiler-1', name: 'Basement boiler' }),
      deleted('boiler-1'),
      deleted('boiler-2'),
      changed({ thingName: 'boiler-2', name: 'Garage boiler' }),
    );
    expect(await deviceNames('boiler')).toEqual(['Garage boiler']);
    expect(service.stats()).toMatchObject({ devicesUpserted: 3, devicesRemoved: 2 });
  });

  it('is idempotent: the same batch handed again leaves the index as once', async () => {
    started();
    const batch = [changed({ thingName: 'boiler-1', name: 'Cellar boiler' }), changed({ thingName: 'boiler-3', name: 'Shed boiler' }), deleted('boiler-3')];
    await feed.deliver(...batch);
    await feed.deliver(...batch);
    expect(await deviceNames('boiler')).toEqual(['Cellar boiler']);
  });

  it('rejects a batch whose write failed, so the feed hands it again instead of saving its checkpoint', async () => {
    let failures = 1;
    const flaky: SearchIndex = Object.assign(Object.create(index) as SearchIndex, {
      upsertDevices: async (documents: Parameters<SearchIndex['upsertDevices']>[0]) => {
        if (failures-- > 0) throw new Error('index unavailable');
        await index.upsertDevices(documents);
      },
    });
    started(flaky);
    await expect(feed.deliver(changed({ name: 'Kitchen gas sensor' }))).rejects.toThrow('index unavailable');
    expect(await deviceNames('kitchen')).toEqual([]);
    await feed.deliver(changed({ name: 'Kitchen gas sensor' }));
    expect(await deviceNames('kitchen')).toEqual(['Kitchen gas sensor']);
  });
});

/** Notes which events a service subscribes to. */
class RecordingBus extends EventBus {
  readonly subscribed: string[] = [];

  override on<K extends keyof PlatformEvents>(event: K, listener: (payload: PlatformEvents[K]) => unknown): () => void {
    this.subscribed.push(event);
    return super.on(event, listener);
  }
}

describe("createService's device source", () => {
  const create = (env: Record<string, string>, deviceSource?: DeviceSource, events: EventBus = new EventBus(logger)) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'citus-device-source-'));
    const shutdown = new Shutdown(logger);
    try {
      createService({
        logger,
        events,
        health: new HealthRegistry(),
        shutdown,
        dataDir,
        authenticate: (_req, _res, next) => next(),
        config: parseConfig(IndexerConfig, env),
        ...(deviceSource ? { deviceSource } : {}),
      });
    } finally {
      void shutdown.run('test').finally(() => rmSync(dataDir, { recursive: true, force: true }));
    }
  };
  const SCALE_OUT = { AWS_REGION: 'eu-west-1', CITUS_DYNAMODB_ENDPOINT: 'http://127.0.0.1:1', CITUS_TELEMETRY_STORE: 'dynamodb', CITUS_REGISTRY_STORE: 'dynamodb' };

  it('refuses registry-stream without the DynamoDB registry, saying what it needs', () => {
    expect(() => create({ ...SCALE_OUT, CITUS_REGISTRY_STORE: 'sqlite' }, 'registry-stream')).toThrow(
      "the indexer's registry-stream device source needs CITUS_REGISTRY_STORE=dynamodb (it is sqlite): the stream is the DynamoDB registry table's",
    );
  });

  it('refuses registry-stream with telemetry in telemetry.db, where the indexer runs beside device-lifecycle', () => {
    expect(() => create({ ...SCALE_OUT, CITUS_TELEMETRY_STORE: 'sqlite' }, 'registry-stream')).toThrow(
      "the indexer's registry-stream device source needs CITUS_TELEMETRY_STORE=dynamodb (it is sqlite): with telemetry.db the indexer runs beside device-lifecycle and takes its events",
    );
  });

  it('follows the registry events by default, and not with registry-stream', () => {
    const byDefault = new RecordingBus(logger);
    create(SCALE_OUT, undefined, byDefault);
    expect(byDefault.subscribed.sort()).toEqual(['device.changed', 'thing.deleted']);
    const fromStream = new RecordingBus(logger);
    create(SCALE_OUT, 'registry-stream', fromStream);
    expect(fromStream.subscribed).toEqual([]);
  });
});
