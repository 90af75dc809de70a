import type { Logger } from '@citus/kit';
import type { ChangeBatch, ChangeFeed, FeedSubscription } from '../domain/change-feed.port.js';
import type { DeviceChange } from '../domain/device-change.model.js';
import type { DeviceDocument } from '../domain/search-index.port.js';
import type { IndexerService } from './indexer.service.js';

/**
 * The indexer's name at the registry's change feed: checkpoints of its own, never mixed with the
 * telemetry feed's (`SEARCH_CONSUMER`), though both live in one checkpoint table.
 */
export const DEVICES_CONSUMER = 'search-index-devices';

/**
 * Devices from the registry's change feed instead of its in-process events, for an indexer that
 * runs apart from the registry. Unlike the events, a failed write rejects the batch, and the feed
 * hands it again without saving its checkpoint: a change is never lost, and a repeat only rewrites
 * what is there. A batch's changes are written in their order, consecutive upserts in one write.
 */
export class DeviceFeedIndexer {
  private subscription: FeedSubscription | undefined;

  constructor(
    private readonly indexer: Pick<IndexerService, 'devicesChanged' | 'thingDeleted'>,
    private readonly logger: Logger,
  ) {}

  start(feed: ChangeFeed<DeviceChange>): void {
    if (this.subscription) throw new Error('the indexer is already reading the registry feed');
    this.subscription = feed.start(DEVICES_CONSUMER, (batch) => this.indexBatch(batch));
  }

  /** Resolves once the batch in hand is indexed and checkpointed. */
  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
  }

  lagMs(): number {
    return this.subscription?.lagMs() ?? 0;
  }

  async indexBatch(batch: ChangeBatch<DeviceChange>): Promise<void> {
    try {
      let upserts = new Map<string, DeviceDocument>();
      for (const change of batch.records) {
        if (change.kind === 'changed') {
          // A device changed twice in one run is written once, as it was last.
          upserts.set(`${change.device.workspaceId}#${change.device.thingName}`, change.device);
          continue;
        }
        await this.indexer.devicesChanged([...upserts.values()]);
        upserts = new Map();
        await this.indexer.thingDeleted(change.workspaceId, change.thingName);
      }
      await this.indexer.devicesChanged([...upserts.values()]);
    } catch (error) {
      this.logger.warn({ err: error, partition: batch.partition, changes: batch.records.length }, 'indexing registry changes failed; they come again');
      throw error;
    }
  }
}
