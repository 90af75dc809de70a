import type { Logger } from '@citus/kit';
import type { OpenedFeed } from '../domain/change-feed.port.js';
import type { DeviceDocument, SearchIndex } from '../domain/search-index.port.js';
import { DeviceEventQueue } from './device-events.queue.js';
import { IndexerService, type IndexerStats } from './indexer.service.js';

/**
 * The indexer on the calling thread, for the scale-out combinations: reading a stream and writing
 * to Elasticsearch is network I/O, which a worker thread would not speed up. The same handle as
 * `IndexerWorkerClient`, so the service wires either.
 */
export class InProcessIndexer {
  private readonly indexer: IndexerService;
  private readonly devices: DeviceEventQueue;
  private opened: OpenedFeed | undefined;
  private stopped = false;

  constructor(
    index: SearchIndex,
    private readonly openFeed: () => Promise<OpenedFeed>,
    logger: Logger,
  ) {
    this.indexer = new IndexerService(index, logger);
    this.devices = new DeviceEventQueue(this.indexer, logger);
  }

  /** Opens the feed and subscribes; rejects when the feed cannot be opened. */
  async start(): Promise<void> {
    const opened = await this.openFeed();
    if (this.stopped) {
      await opened.close();
      return;
    }
    this.opened = opened;
    this.indexer.start(opened.feed);
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

  /** Writes the gathered registry changes, finishes the batch in hand, then closes the feed's connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.devices.flush();
    await this.indexer.stop();
    const opened = this.opened;
    this.opened = undefined;
    await opened?.close();
  }
}
