import { DescribeTableCommand, ResourceNotFoundException, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, type StreamViewType } from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from '@citus/kit';
import { createDynamoClients } from '../client.js';
import { tableName } from '../tables.js';
import { DynamoCheckpointStore, ensureCheckpointTable } from './checkpoint.store.js';
import type { StreamRecordMapper } from './shard.reader.js';
import type { StreamCheckpoints } from './stream-feed.port.js';
import { StreamsChangeFeed } from './streams.change-feed.js';

export interface StreamsFeedConfig {
  region: string;
  /** DynamoDB Local (which serves Streams on the same port); unset for AWS. */
  endpoint?: string;
  tablePrefix: string;
  /** Wraps the checkpoint store, for a consumer that saves positions on its own schedule (analytics). */
  wrapCheckpoints?: (store: StreamCheckpoints) => StreamCheckpoints;
  /**
   * `checkpoints` (the default): resume after the positions saved in the checkpoint table (created
   * when missing). `latest`: no checkpoints, every run starts at LATEST (see `StreamsChangeFeedOptions`).
   */
  startAt?: 'checkpoints' | 'latest';
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

export interface OpenedStreamsFeed<R> {
  feed: StreamsChangeFeed<R>;
  close(): void;
}

/**
 * A table's stream as a change feed, on clients of its own (closed by `close`, once the
 * subscription has stopped). Refuses to open, with the source's reason, when the table is missing
 * or cannot serve the feed: the feed itself would only retry such a table forever.
 */
export async function openStreamFeed<R>(config: StreamsFeedConfig, logger: Logger, source: StreamSource<R>): Promise<OpenedStreamsFeed<R>> {
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
  const latest = config.startAt === 'latest';
  try {
    source.check(table, await describe(clients.client, table, source));
    if (!latest) await ensureCheckpointTable(clients.client, config.tablePrefix);
  } catch (error) {
    close();
    throw error;
  }
  const common = { dynamodb: clients.client, streams, tableName: table, toRecord: source.toRecord, logger };
  const feed = latest
    ? new StreamsChangeFeed<R>({ ...common, startAt: 'latest' })
    : new StreamsChangeFeed<R>({
        ...common,
        checkpoints: (config.wrapCheckpoints ?? ((store) => store))(new DynamoCheckpointStore(clients.documents, config.tablePrefix)),
      });
  return { feed, close };
}

/** Whether the table has a stream of one of the view types, and what it has, for the error. */
export function streamViewOf(description: TableDescription | undefined, accepted: readonly StreamViewType[]): { ok: boolean; found: string } {
  const stream = description?.StreamSpecification;
  if (!stream?.StreamEnabled || !description?.LatestStreamArn) return { ok: false, found: 'no stream' };
  const view = stream.StreamViewType;
  return { ok: view !== undefined && accepted.includes(view), found: `a ${String(view)} stream` };
}

async function describe<R>(client: DynamoDBClient, table: string, source: StreamSource<R>): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    throw new Error(source.missing(table), { cause: error });
  }
}
