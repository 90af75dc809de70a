import type { DeviceDocument, SearchIndex, SearchPage, SearchQuery, TelemetryDocument } from '../../domain/search-index.port.js';
import type { ElasticSearchIndex } from './elastic.search-index.js';

/**
 * The Elasticsearch index, making sure of its templates and indices before the first write. A
 * write to a missing index would create it with mappings guessed from the document instead of the
 * strict ones, so no write goes out before `ensureIndices` succeeded. When the cluster cannot be
 * reached, the write fails (retryable) and the next one tries again: the change feed's back-off
 * paces the attempts, and the platform starts without waiting for the cluster.
 */
export class IndicesFirstSearchIndex implements SearchIndex {
  private preparing: Promise<void> | undefined;

  constructor(private readonly index: ElasticSearchIndex) {}

  /** Resolves once the indices exist; concurrent callers share one attempt, a failed one is forgotten. */
  prepare(): Promise<void> {
    this.preparing ??= this.index.ensureIndices().catch((error: unknown) => {
      this.preparing = undefined;
      throw error;
    });
    return this.preparing;
  }

  async upsertTelemetry(documents: TelemetryDocument[]): Promise<void> {
    await this.prepare();
    await this.index.upsertTelemetry(documents);
  }

  async upsertDevices(documents: DeviceDocument[]): Promise<void> {
    await this.prepare();
    await this.index.upsertDevices(documents);
  }

  async removeDevice(workspaceId: string, thingName: string): Promise<void> {
    await this.prepare();
    await this.index.removeDevice(workspaceId, thingName);
  }

  /** Also held back: before anything was indexed, a search finds nothing rather than a missing index. */
  async search(workspaceId: string, query: SearchQuery): Promise<SearchPage> {
    await this.prepare();
    return this.index.search(workspaceId, query);
  }

  close(): Promise<void> {
    return this.index.close();
  }
}
