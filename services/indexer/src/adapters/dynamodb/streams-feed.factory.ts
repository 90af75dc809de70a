import { DescribeTableCommand, ResourceNotFoundException, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from '@citus/kit';
import { createDynamoClients, tableName, TELEMETRY_TABLE_NAMES } from '@citus/dynamodb';
import type { CheckpointStore, OpenedFeed } from '../../domain/change-feed.port.js';
import { DynamoCheckpointStore, ensureCheckpointTable } from './checkpoint.store.js';
import type { StreamRecordMapper } from './shard.reader.js';
import { toChangeRecord } from './stream-record.mapper.js';
import { StreamsChangeFeed } from './streams.change-feed.js';

export interface StreamsFeedConfig {
  region: string;
  /** DynamoDB Local (which serves Streams on the same port); unset for AWS. */
  endpoint?: string;
  tablePrefix: string;
  /** Wraps the checkpoint store, for a consumer that saves positions on its own schedule (analytics). */
  wrapCheckpoints?: (store: CheckpointStore) => CheckpointStore;
}

/** Which table's stream a feed follows, and what it requires of it before it opens. */
export interface StreamSource<R> {
  /** The table's name without the prefix. */
  name: string;
  toRecord: StreamRecordMapper<R>;
  /** Throws, saying what to do, when the table as described cannot serve the feed. */
  check(table: string, description: TableDescription | undefined): void;
  /** The sentence of the error for a table that does not exist. */
  missing(table: string): string;
}

/**
 * The scale-out change feed: the hub's telemetry table's stream, checkpoints in DynamoDB (created
 * when missing). Refuses to open, with the reason, when the table or its stream is missing or the
 * stream carries no new image: the feed itself would only retry such a table forever.
 */
export function openStreamsChangeFeed(config: StreamsFeedConfig, logger: Logger): Promise<OpenedFeed> {
  return openStreamFeed(config, logger.child({ component: 'change-feed' }), {
    name: TELEMETRY_TABLE_NAMES.telemetry,
    toRecord: toChangeRecord,
    missing: (table) => `the telemetry table ${table} does not exist: the hub creates it when it starts with CITUS_TELEMETRY_STORE=dynamodb`,
    check: requireNewImageStream,
  });
}

/** A table's stream as a change feed, checkpoints in DynamoDB (the table created when missing). */
export async function openStreamFeed<R>(config: StreamsFeedConfig, logger: Logger, source: StreamSource<R>): Promise<OpenedFeed<R>> {
  const clients = createDynamoClients({ region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}) });
  // As `createDynamoClients` does: DynamoDB Local wants signed requests but accepts any key; AWS gets the default chain.
  const streams = new DynamoDBStreamsClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  const close = () => {
    streams.destroy();
    clients.destroy();
  };
  const table = tableName(config.tablePrefix, source.name);
  try {
    source.check(table, await describe(clients.client, table, source));
    await ensureCheckpointTable(clients.client, config.tablePrefix);
  } catch (error) {
    close();
    throw error;
  }
  const feed = new StreamsChangeFeed<R>({
    dynamodb: clients.client,
    streams,
    tableName: table,
    toRecord: source.toRecord,
    checkpoints: (config.wrapCheckpoints ?? ((store) => store))(new DynamoCheckpointStore(clients.documents, config.tablePrefix)),
    logger,
  });
  return { feed, close };
}

async function describe<R>(client: DynamoDBClient, table: string, source: StreamSource<R>): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    throw new Error(source.missing(table), { cause: error });
  }
}

function requireNewImageStream(table: string, description: TableDescription | undefined): void {
  const stream = description?.StreamSpecification;
  if (!stream?.StreamEnabled || !description?.LatestStreamArn) {
    throw new Error(`the telemetry table ${table} has no stream: enable DynamoDB Streams on it (view type NEW_IMAGE)`);
  }
  // The indexer reads each record's new image; the other view types do not carry it.
  if (stream.StreamViewType !== 'NEW_IMAGE' && stream.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
    throw new Error(`the stream of the telemetry table ${table} is ${String(stream.StreamViewType)}: the indexer needs NEW_IMAGE`);
  }
}
