import type { Logger } from '@citus/kit';
import type { OpenedFeed } from '../domain/change-feed.port.js';
import type { DeviceChange } from '../domain/device-change.model.js';
import type { DeviceDocument, SearchIndex } from '../domain/search-index.port.js';
import { DeviceEventQueue } from './device-events.queue.js';
import { DeviceFeedIndexer } from './device-feed.indexer.js';
import { IndexerService, type IndexerStats } from './indexer.service.js';

/**
 * The indexer on the calling thread, for the scale-out combinations: reading a stream and writing
 * to Elasticsearch is network I/O, which a worker thread would not speed up. The same handle as
 * `IndexerWorkerClient`, so the service wires either. Given `openDeviceFeed`, it also follows the
 * registry's change feed for devices (the `registry-stream` device source).
 */
export class InProcessIndexer {
  private readonly indexer: IndexerService;
  private readonly devices: DeviceEventQueue;
  private readonly deviceFeed: DeviceFeedIndexer;
  private opened: Array<{ close(): Promise<void> | void }> = [];
  private stopped = false;

  constructor(
    index: SearchIndex,
    private readonly openFeed: () => Promise<OpenedFeed>,
    logger: Logger,
    private readonly openDeviceFeed?: () => Promise<OpenedFeed<DeviceChange>>,
  ) {
    this.indexer = new IndexerService(index, logger);
    this.devices = new DeviceEventQueue(this.indexer, logger);
    this.deviceFeed = new DeviceFeedIndexer(this.indexer, logger);
  }

  /** Opens the feeds, then subscribes to both; rejects (with nothing left open) when one cannot be opened. */
  async start(): Promise<void> {
    const telemetry = await this.openFeed();
    let devices: OpenedFeed<DeviceChange> | undefined;
    try {
      devices = await this.openDeviceFeed?.();
    } catch (error) {
      await telemetry.close();
      throw error;
    }
    this.opened = devices ? [telemetry, devices] : [telemetry];
    if (this.stopped) return this.close();
    this.indexer.start(telemetry.feed);
    if (devices) this.deviceFeed.start(devices.feed);
  }

  deviceChanged(device: DeviceDocument): void {
    if (!this.stopped) this.devices.deviceChanged(device);
  }

  thingDeleted(workspaceId: string, thingName: string): void {
    if (!this.stopped) this.devices.thingDeleted(workspaceId, thingName);
  }

  lagMs(): number {
    return this.indexer.lagMs();
  }

  stats(): IndexerStats {
    return this.indexer.stats();
  }

  /** Writes the gathered registry changes, finishes the batches in hand, then closes the feeds' connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.devices.flush();
    await Promise.all([this.deviceFeed.stop(), this.indexer.stop()]);
    await this.close();
  }

  private async close(): Promise<void> {
    const opened = this.opened;
    this.opened = [];
    for (const feed of opened) await feed.close();
  }
}
