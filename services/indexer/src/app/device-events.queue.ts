import type { Logger } from '@citus/kit';
import type { DeviceDocument } from '../domain/search-index.port.js';
import type { IndexerService } from './indexer.service.js';

/** How long registry changes are gathered before they are written together. */
export const DEVICE_GATHER_MS = 25;

/**
 * Registry events come one by one (a fleet declared through the API is a burst of them): they are
 * gathered for a moment and written in one index write, in arrival order with deletions, so a
 * burst costs one transaction and fsync (embedded) or one bulk request (Elasticsearch) instead of
 * one each. A failed write is logged and the queue goes on: the next change of the device rewrites it.
 */
export class DeviceEventQueue {
  private pending: DeviceDocument[] = [];
  private gathering: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly indexer: Pick<IndexerService, 'devicesChanged' | 'thingDeleted'>,
    private readonly logger: Logger,
    private readonly gatherMs = DEVICE_GATHER_MS,
  ) {}

  deviceChanged(device: DeviceDocument): void {
    this.pending.push(device);
    this.gathering ??= setTimeout(() => void this.flush(), this.gatherMs);
  }

  thingDeleted(workspaceId: string, thingName: string): void {
    void this.flush();
    void this.then(() => this.indexer.thingDeleted(workspaceId, thingName), 'thing.deleted');
  }

  /** Writes what is gathered; resolves once every write queued so far is done. */
  flush(): Promise<void> {
    clearTimeout(this.gathering);
    this.gathering = undefined;
    const devices = this.pending;
    this.pending = [];
    return this.then(() => this.indexer.devicesChanged(devices), 'device.changed');
  }

  private then(work: () => Promise<void>, what: string): Promise<void> {
    this.chain = this.chain.then(work).catch((error: unknown) => this.logger.error({ err: error, what }, 'indexer request failed'));
    return this.chain;
  }
}
