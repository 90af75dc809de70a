import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import type { Logger, Service, ServiceContext } from '@citus/kit';
import { openRegistryFeed } from './adapters/dynamodb/registry-feed.factory.js';
import { openStreamsChangeFeed, type StreamsFeedConfig } from './adapters/dynamodb/streams-feed.factory.js';
import { createElasticClient } from './adapters/elasticsearch/elastic-client.factory.js';
import { ElasticSearchIndex } from './adapters/elasticsearch/elastic.search-index.js';
import { IndicesFirstSearchIndex } from './adapters/elasticsearch/indices-first.search-index.js';
import { searchRoutes } from './adapters/http/search.routes.js';
import { FtsSearchIndex } from './adapters/sqlite/fts.search-index.js';
import { openSqliteChangeFeed } from './adapters/sqlite/sqlite-feed.factory.js';
import { IndexerWorkerClient } from './adapters/worker/indexer-worker.client.js';
import { InProcessIndexer } from './app/in-process.indexer.js';
import { isEmbedded, type IndexerConfig } from './config.js';
import type { OpenedFeed } from './domain/change-feed.port.js';
import type { DeviceChange } from './domain/device-change.model.js';
import type { SearchIndex } from './domain/search-index.port.js';

/**
 * Where the indexer learns devices: `events`, the registry's in-process events (device-lifecycle
 * runs in this process); `registry-stream`, the DynamoDB registry table's stream (it runs elsewhere).
 */
export type DeviceSource = 'events' | 'registry-stream';

export interface IndexerContext extends ServiceContext {
  config: IndexerConfig;
  /**
   * `events` by default. `registry-stream` is for a process that runs the indexer without
   * device-lifecycle: it needs `CITUS_REGISTRY_STORE=dynamodb` and `CITUS_TELEMETRY_STORE=dynamodb`.
   */
  deviceSource?: DeviceSource;
  /**
   * For mocked tests only: the Elasticsearch client to use instead of one built from
   * `ELASTICSEARCH_URL`. No cluster runs here, and a mock connection can only be handed over in
   * this process, which is why every Elasticsearch combination indexes on the main thread. The
   * service does not close it.
   */
  searchClient?: Client;
}

/** The indexer's work, on a worker thread (embedded) or on this thread (scale-out). */
type IndexerPlacement = Pick<InProcessIndexer, 'start' | 'stop' | 'deviceChanged' | 'thingDeleted' | 'lagMs' | 'stats'>;

export interface IndexerModule extends Service {
  /** The indexer, wherever it runs: its lag behind the change feed and its running counts. */
  indexer: Pick<IndexerPlacement, 'lagMs' | 'stats'>;
}

/**
 * The indexer: the telemetry change feed -> the search index, plus the registry's device events.
 * `CITUS_TELEMETRY_STORE` picks the feed (the hub's change log in `telemetry.db`, checkpoints in
 * `indexer.db`; or the DynamoDB telemetry table's stream, checkpoints in DynamoDB) and
 * `CITUS_SEARCH` the index (FTS5 in `search.db`, its own file so a rebuild is a delete; or
 * Elasticsearch). The embedded combination indexes on a worker thread (see `indexer.worker.ts`),
 * this thread only answering searches; the others index here. `start` must run after the hub's:
 * the hub creates the tables the feed reads. Devices come from the registry's events or, with
 * `deviceSource: 'registry-stream'`, from its table's stream (then the registry table must exist
 * before `start`, as the telemetry table must).
 */
export function createService(ctx: IndexerContext): IndexerModule {
  const logger = ctx.logger.child({ module: 'indexer' });
  const fromStream = ctx.deviceSource === 'registry-stream';
  if (fromStream) refuseRegistryStreamWithout(ctx.config);
  const search = openSearchIndex(ctx);
  const setReady = ctx.health.register('indexer');
  const indexer: IndexerPlacement = isEmbedded(ctx.config)
    ? new IndexerWorkerClient({ dataDir: ctx.dataDir, logLevel: ctx.logger.level }, logger, () => setReady(false))
    : new InProcessIndexer(search.index, () => openChangeFeed(ctx, logger), logger, fromStream ? () => openDeviceFeed(ctx, logger) : undefined);

  if (!fromStream) {
    ctx.events.on('device.changed', ({ workspaceId, thingName, name, type, location }) =>
      indexer.deviceChanged({ workspaceId, thingName, name, ...(type ? { type } : {}), ...(location ? { location } : {}) }),
    );
    ctx.events.on('thing.deleted', ({ workspaceId, thingName }) => indexer.thingDeleted(workspaceId, thingName));
  }

  // Registered before the indexer stops (added in start), so it runs after it.
  ctx.shutdown.add('search index', () => search.close());

  return {
    name: 'indexer',
    indexer,
    apiRoutes: searchRoutes(search.index, ctx.authenticate),
    async start() {
      search.prepare?.(logger);
      await indexer.start();
      ctx.shutdown.add('indexer', () => indexer.stop());
      setReady(true);
    },
  };
}

interface OpenedIndex {
  index: SearchIndex;
  close(): Promise<void>;
  /** Work started with the service that must not hold up its start (Elasticsearch's indices). */
  prepare?: (logger: Logger) => void;
}

function openSearchIndex(ctx: IndexerContext): OpenedIndex {
  const { config } = ctx;
  if (config.CITUS_SEARCH === 'sqlite') {
    // Opened on this thread first, so its migrations have run before a worker thread opens it too.
    const index = FtsSearchIndex.open(join(ctx.dataDir, 'search.db'));
    return { index, close: () => index.close() };
  }
  const url = config.ELASTICSEARCH_URL;
  if (url === undefined) throw new Error('ELASTICSEARCH_URL is required when CITUS_SEARCH is elasticsearch');
  const client = ctx.searchClient ?? createElasticClient({ url, ...(config.ELASTICSEARCH_API_KEY === undefined ? {} : { apiKey: config.ELASTICSEARCH_API_KEY }) });
  const index = new IndicesFirstSearchIndex(new ElasticSearchIndex({ client, prefix: config.CITUS_SEARCH_INDEX_PREFIX }));
  return {
    index,
    // An injected client is its owner's to close.
    close: () => (ctx.searchClient ? Promise.resolve() : index.close()),
    // Elasticsearch down at start is no reason to refuse it: every write tries again first.
    prepare: (logger) =>
      void index.prepare().then(
        () => logger.info({ prefix: config.CITUS_SEARCH_INDEX_PREFIX }, 'Elasticsearch indices ready'),
        (error: unknown) => logger.warn({ err: error }, 'Elasticsearch not ready at start; indexing retries until it is'),
      ),
  };
}

function openChangeFeed(ctx: IndexerContext, logger: Logger): Promise<OpenedFeed> {
  if (ctx.config.CITUS_TELEMETRY_STORE === 'sqlite') return Promise.resolve(openSqliteChangeFeed(ctx.dataDir, logger));
  return openStreamsChangeFeed(streamsConfig(ctx.config, 'CITUS_TELEMETRY_STORE'), logger);
}

function openDeviceFeed(ctx: IndexerContext, logger: Logger): Promise<OpenedFeed<DeviceChange>> {
  return openRegistryFeed(streamsConfig(ctx.config, 'CITUS_REGISTRY_STORE'), logger);
}

function streamsConfig(config: IndexerConfig, setting: string): StreamsFeedConfig {
  const region = config.AWS_REGION;
  if (region === undefined) throw new Error(`AWS_REGION is required when ${setting} is dynamodb`);
  const endpoint = config.CITUS_DYNAMODB_ENDPOINT;
  return { region, tablePrefix: config.CITUS_DYNAMODB_TABLE_PREFIX, ...(endpoint === undefined ? {} : { endpoint }) };
}

/**
 * The registry stream is the DynamoDB registry table's, so it needs that table. With telemetry in
 * `telemetry.db` the indexer shares the hub's data dir, so it runs in the hub's process, beside
 * device-lifecycle, whose events it takes; the worker-thread indexer has no place for the stream.
 */
function refuseRegistryStreamWithout(config: IndexerConfig): void {
  const problems = [
    ...(config.CITUS_REGISTRY_STORE === 'dynamodb' ? [] : [`CITUS_REGISTRY_STORE=dynamodb (it is ${config.CITUS_REGISTRY_STORE}): the stream is the DynamoDB registry table's`]),
    ...(config.CITUS_TELEMETRY_STORE === 'dynamodb'
      ? []
      : [`CITUS_TELEMETRY_STORE=dynamodb (it is ${config.CITUS_TELEMETRY_STORE}): with telemetry.db the indexer runs beside device-lifecycle and takes its events`]),
  ];
  if (problems.length > 0) throw new Error(`the indexer's registry-stream device source needs ${problems.join('; and ')}`);
}
