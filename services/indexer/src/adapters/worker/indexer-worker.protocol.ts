import type { DeviceDocument } from '../../domain/search-index.port.js';
import type { IndexerStats } from '../../app/indexer.service.js';

/** What the platform's thread tells the indexer's thread. */
export type ToIndexer =
  | { type: 'device.changed'; device: DeviceDocument }
  | { type: 'thing.deleted'; workspaceId: string; thingName: string }
  | { type: 'stop' };

/** What the indexer's thread reports back. */
export type FromIndexer =
  | { type: 'ready' }
  | { type: 'stats'; lagMs: number; stats: IndexerStats }
  | { type: 'stopped' };

export interface IndexerWorkerData {
  dataDir: string;
  logLevel: string;
}
