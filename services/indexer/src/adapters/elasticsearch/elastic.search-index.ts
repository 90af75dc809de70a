import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { badRequest } from '@citus/kit';
import type {
  DeviceDocument,
  SearchHit,
  SearchIndex,
  SearchPage,
  SearchQuery,
  TelemetryDocument,
} from '../../domain/search-index.port.js';
import { indexNames, indexTemplates, type IndexNames } from './elastic.mappings.js';
import { fromClientError, isRetryableStatus, SearchIndexError } from './search-index.errors.js';

export interface ElasticSearchIndexOptions {
  client: Client;
  /** Index name prefix (`<prefix>-telemetry`, `<prefix>-devices`). */
  prefix: string;
  /**
   * Elasticsearch makes writes searchable at the next refresh (every second by default), not when
   * the bulk request returns. `false` (the default) keeps it so: the fast path, within the 1 s
   * publish-to-queryable budget. `wait_for` resolves a write only once it is searchable (for tests
   * and read-your-writes callers); `true` forces a refresh per request and is only for tiny setups.
   */
  refresh?: boolean | 'wait_for';
}

/** A stored document: the port's fields plus the sort tie-break `key`. */
type StoredTelemetry = TelemetryDocument & { key: string };
type StoredDevice = DeviceDocument & { key: string; text: string };

/** Free text is analysed, never parsed as query syntax; the bound only caps the work of one search. */
const MAX_QUERY_CHARS = 1024;
const HAS_TERM = /[\p{L}\p{N}]/u;

/**
 * The scale-out search index on Elasticsearch. Writes are bulk `index` operations with ids scoped
 * by workspace (`<workspace>#<telemetry id>`, `<workspace>#<thing>`), so a replayed change replaces
 * its own document. Every search filters on `workspaceId`.
 */
export class ElasticSearchIndex implements SearchIndex {
  private readonly client: Client;
  private readonly names: IndexNames;
  private readonly refresh: boolean | 'wait_for';

  constructor(options: ElasticSearchIndexOptions) {
    this.client = options.client;
    this.names = indexNames(options.prefix);
    this.refresh = options.refresh ?? false;
  }

  /** Puts the index templates (replacing older versions) and creates the indices that are missing. */
  async ensureIndices(): Promise<void> {
    try {
      for (const template of indexTemplates(this.names)) await this.client.indices.putIndexTemplate(template);
      for (const index of [this.names.telemetry, this.names.devices]) {
        if (await this.client.indices.exists({ index })) continue;
        await this.client.indices.create({ index }).catch(alreadyExists);
      }
    } catch (error) {
      throw fromClientError(error, 'creating the search indices');
    }
  }

  async upsertTelemetry(documents: TelemetryDocument[]): Promise<void> {
    await this.bulkIndex(
      this.names.telemetry,
      documents.map((doc) => ({ id: doc.id, _id: `${doc.workspaceId}#${doc.id}`, body: { ...doc, key: `telemetry#${doc.id}` } })),
    );
  }

  async upsertDevices(documents: DeviceDocument[]): Promise<void> {
    await this.bulkIndex(
      this.names.devices,
      documents.map((doc) => ({
        id: doc.thingName,
        _id: `${doc.workspaceId}#${doc.thingName}`,
        body: { ...doc, key: `device#${doc.thingName}`, text: deviceText(doc) },
      })),
    );
  }

  async removeDevice(workspaceId: string, thingName: string): Promise<void> {
    try {
      // A device already gone (or never indexed) is the outcome asked for.
      await this.client.delete({ index: this.names.devices, id: `${workspaceId}#${thingName}`, refresh: this.refresh }, { ignore: [404] });
    } catch (error) {
      throw fromClientError(error, 'removing a device from the search index');
    }
  }

  async search(workspaceId: string, query: SearchQuery): Promise<SearchPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (!HAS_TERM.test(query.text)) return { items: [] };
    let response: estypes.SearchResponse<StoredTelemetry | StoredDevice>;
    try {
      response = await this.client.search<StoredTelemetry | StoredDevice>(this.searchRequest(workspaceId, query, after));
    } catch (error) {
      throw fromClientError(error, 'searching');
    }
    const hits = response.hits.hits;
    const page = hits.slice(0, query.limit);
    const last = page[page.length - 1];
    const items = page.map((hit) => this.toHit(hit));
    return hits.length > query.limit && last?.sort !== undefined ? { items, next: encodeCursor(last.sort) } : { items };
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** The search body; one more hit than the page, to know whether a next page exists. */
  private searchRequest(workspaceId: string, query: SearchQuery, after?: estypes.SortResults): estypes.SearchRequest {
    const filter: estypes.QueryDslQueryContainer[] = [{ term: { workspaceId } }];
    if (query.thingName !== undefined) filter.push({ term: { thingName: query.thingName } });
    if (query.from !== undefined || query.to !== undefined) {
      filter.push({ range: { epoch: { ...(query.from === undefined ? {} : { gte: query.from }), ...(query.to === undefined ? {} : { lte: query.to }) } } });
    }
    const text = query.text.slice(0, MAX_QUERY_CHARS);
    // cross_fields + and: every term must appear, each in any field, as in the embedded index.
    const must: estypes.QueryDslQueryContainer = {
      multi_match: { query: text, fields: ['name^4', 'label^2', 'unit^2', 'text'], type: 'cross_fields', operator: 'and' },
    };
    return {
      index: query.kind === 'telemetry' ? [this.names.telemetry] : query.kind === 'device' ? [this.names.devices] : [this.names.telemetry, this.names.devices],
      query: { bool: { filter, must } },
      sort: [{ _score: { order: 'desc' } }, { key: { order: 'asc' } }],
      size: query.limit + 1,
      track_total_hits: false,
      ...(after === undefined ? {} : { search_after: after }),
    };
  }

  private async bulkIndex(index: string, documents: Array<{ id: string; _id: string; body: object }>): Promise<void> {
    if (documents.length === 0) return;
    let response: estypes.BulkResponse;
    try {
      response = await this.client.bulk({
        refresh: this.refresh,
        operations: documents.flatMap((doc) => [{ index: { _index: index, _id: doc._id } }, doc.body]),
      });
    } catch (error) {
      throw fromClientError(error, 'bulk indexing');
    }
    if (response.errors) throw bulkFailure(response, documents);
  }

  private toHit(hit: estypes.SearchHit<StoredTelemetry | StoredDevice>): SearchHit {
    const score = hit._score ?? 0;
    if (hit._index === this.names.devices) {
      const { workspaceId, thingName, name, type, location } = hit._source as StoredDevice;
      return { kind: 'device', score, device: { workspaceId, thingName, name, ...defined({ type, location }) } };
    }
    const { id, workspaceId, thingName, topic, epoch, label, unit, value } = hit._source as StoredTelemetry;
    return { kind: 'telemetry', score, telemetry: { id, workspaceId, thingName, topic, epoch, ...defined({ label, unit, value }) } };
  }
}

/** Another indexer may create the index between the check and the create: that is the state wanted. */
function alreadyExists(error: unknown): void {
  const type = (error as { body?: { error?: { type?: string } } } | undefined)?.body?.error?.type;
  if (!(error instanceof errors.ResponseError && type === 'resource_already_exists_exception')) throw error;
}

/** A device's free text: what a user may remember it by besides its name (as in the embedded index). */
const deviceText = (doc: DeviceDocument): string =>
  [doc.thingName, doc.type, doc.location].filter((part) => part !== undefined).join(' ');

function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null)) as Partial<T>;
}

/**
 * A bulk request answers 200 even when some operations failed; each item says how it went, in the
 * order of the operations. The batch is retryable only if every failure was the cluster pushing back.
 */
function bulkFailure(response: estypes.BulkResponse, documents: Array<{ id: string }>): SearchIndexError {
  const failed = response.items.flatMap((item, position) => {
    const result = item.index;
    return result?.error === undefined ? [] : [{ id: documents[position]?.id ?? String(result._id), status: result.status, reason: result.error.reason }];
  });
  const retryable = failed.length > 0 && failed.every((failure) => isRetryableStatus(failure.status));
  const first = failed[0];
  const message = `${failed.length} of ${documents.length} documents were not indexed${first === undefined ? '' : ` (${first.status}: ${first.reason ?? 'no reason'})`}`;
  return new SearchIndexError(message, retryable, failed.map((failure) => failure.id));
}

function encodeCursor(sort: estypes.SortResults): string {
  return Buffer.from(JSON.stringify(sort)).toString('base64url');
}

function decodeCursor(cursor: string): estypes.SortResults {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && typeof value[1] === 'string') return value as estypes.SortResults;
  } catch {
    // Not JSON: reported below like any other foreign cursor.
  }
  throw badRequest('invalid search cursor');
}
