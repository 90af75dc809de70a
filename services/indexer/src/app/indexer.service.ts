import type { Logger } from '@citus/kit';
import type { ChangeBatch, ChangeFeed, FeedSubscription } from '../domain/change-feed.port.js';
import type { DeviceDocument, SearchIndex, TelemetryDocument } from '../domain/search-index.port.js';
import { toDocuments } from './telemetry-documents.js';

/** The indexer's name at the change feed: its checkpoints are stored under it. */
export const SEARCH_CONSUMER = 'search-index';

/** Running totals since start, for health and metrics. */
export interface IndexerStats {
  batches: number;
  records: number;
  /** Batches whose write failed and that the feed hands again. */
  failedBatches: number;
  /** Documents the index refused for good (not retryable); logged by id, then skipped. */
  rejectedDocuments: number;
  devicesUpserted: number;
  devicesRemoved: number;
}

/**
 * What an index adapter's expected failure carries (`SearchIndexError` of the Elasticsearch
 * adapter). Read by shape: the app layer does not import adapters.
 */
interface IndexFailure {
  retryable: boolean;
  failedIds: string[];
}

const isPermanentFailure = (error: unknown): error is IndexFailure =>
  typeof error === 'object' &&
  error !== null &&
  (error as Partial<IndexFailure>).retryable === false &&
  Array.isArray((error as Partial<IndexFailure>).failedIds) &&
  (error as IndexFailure).failedIds.length > 0;

/**
 * Keeps the search index current: telemetry from the change feed (at least once, so every write is
 * an idempotent upsert by document id), devices from the registry's events. A failed telemetry write
 * rejects, and the feed hands the same batch again without saving its checkpoint: a record is never
 * skipped. Only documents the index names as refused for good are dropped (and logged), since
 * retrying them would stall the feed forever.
 *
 * The telemetry documents of a deleted thing stay searchable, like the telemetry itself, until
 * retention removes it from the store; only the device document goes.
 */
export class IndexerService {
  private subscription: FeedSubscription | undefined;
  private readonly totals: IndexerStats = {
    batches: 0,
    records: 0,
    failedBatches: 0,
    rejectedDocuments: 0,
    devicesUpserted: 0,
    devicesRemoved: 0,
  };

  constructor(
    private readonly index: SearchIndex,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts reading the feed. Apart from the constructor because the embedded feed can only open
   * once the hub has created its tables; device events are indexed from the start.
   */
  start(feed: ChangeFeed): void {
    if (this.subscription) throw new Error('the indexer is already reading a change feed');
    this.subscription = feed.start(SEARCH_CONSUMER, (batch) => this.indexBatch(batch));
  }

  /** Resolves once the batch in hand is indexed and checkpointed. */
  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
  }

  /** How far the index trails the newest change seen; 0 when caught up or not started. */
  lagMs(): number {
    return this.subscription?.lagMs() ?? 0;
  }

  stats(): IndexerStats {
    return { ...this.totals };
  }

  async indexBatch(batch: ChangeBatch): Promise<void> {
    const documents = toDocuments(batch.records);
    try {
      await this.write(documents);
    } catch (error) {
      this.totals.failedBatches += 1;
      this.logger.warn({ err: error, partition: batch.partition, records: batch.records.length }, 'indexing a batch failed; it comes again');
      throw error;
    }
    this.totals.batches += 1;
    this.totals.records += batch.records.length;
  }

  async deviceChanged(device: DeviceDocument): Promise<void> {
    await this.devicesChanged([device]);
  }

  /** Several registry changes in one index write (one transaction, one fsync, when embedded). */
  async devicesChanged(devices: DeviceDocument[]): Promise<void> {
    if (devices.length === 0) return;
    await this.index.upsertDevices(devices);
    this.totals.devicesUpserted += devices.length;
  }

  async thingDeleted(workspaceId: string, thingName: string): Promise<void> {
    await this.index.removeDevice(workspaceId, thingName);
    this.totals.devicesRemoved += 1;
  }

  /** Writes the documents; refused-for-good ones are dropped once, and the rest written again. */
  private async write(documents: TelemetryDocument[]): Promise<void> {
    if (documents.length === 0) return;
    try {
      await this.index.upsertTelemetry(documents);
    } catch (error) {
      if (!isPermanentFailure(error)) throw error;
      const refused = new Set(error.failedIds);
      this.totals.rejectedDocuments += refused.size;
      this.logger.error({ err: error, refusedIds: [...refused] }, 'the search index refused documents for good; they are skipped');
      const rest = documents.filter((document) => !refused.has(document.id));
      // A second refusal of other documents is a new problem: it rejects, and the batch comes again.
      if (rest.length > 0) await this.index.upsertTelemetry(rest);
    }
  }
}
