import { DescribeTableCommand, ResourceNotFoundException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from '@citus/kit';
import { createDynamoClients, tableName, TELEMETRY_TABLE_NAMES } from '@citus/dynamodb';
import type { CheckpointStore, OpenedFeed } from '../../domain/change-feed.port.js';
import { DynamoCheckpointStore, ensureCheckpointTable } from './checkpoint.store.js';
import { StreamsChangeFeed } from './streams.change-feed.js';

export interface StreamsFeedConfig {
  region: string;
  /** DynamoDB Local (which serves Streams on the same port); unset for AWS. */
  endpoint?: string;
  tablePrefix: string;
  /** Wraps the checkpoint store, for a consumer that saves positions on its own schedule (analytics). */
  wrapCheckpoints?: (store: CheckpointStore) => CheckpointStore;
}

/**
 * The scale-out change feed: the hub's telemetry table's stream, checkpoints in DynamoDB (created
 * when missing). Refuses to open, with the reason, when the table or its stream is missing or the
 * stream carries no new image: the feed itself would only retry such a table forever.
 */
export async function openStreamsChangeFeed(config: StreamsFeedConfig, logger: Logger): Promise<OpenedFeed> {
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
  const telemetryTable = tableName(config.tablePrefix, TELEMETRY_TABLE_NAMES.telemetry);
  try {
    await requireNewImageStream(clients.client, telemetryTable);
    await ensureCheckpointTable(clients.client, config.tablePrefix);
  } catch (error) {
    close();
    throw error;
  }
  const feed = new StreamsChangeFeed({
    dynamodb: clients.client,
    streams,
    tableName: telemetryTable,
    checkpoints: (config.wrapCheckpoints ?? ((store) => store))(new DynamoCheckpointStore(clients.documents, config.tablePrefix)),
    logger: logger.child({ component: 'change-feed' }),
  });
  return { feed, close };
}

async function requireNewImageStream(client: DynamoDBClient, table: string): Promise<void> {
  let description;
  try {
    ({ Table: description } = await client.send(new DescribeTableCommand({ TableName: table })));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    throw new Error(`the telemetry table ${table} does not exist: the hub creates it when it starts with CITUS_TELEMETRY_STORE=dynamodb`, { cause: error });
  }
  const stream = description?.StreamSpecification;
  if (!stream?.StreamEnabled || !description?.LatestStreamArn) {
    throw new Error(`the telemetry table ${table} has no stream: enable DynamoDB Streams on it (view type NEW_IMAGE)`);
  }
  // The indexer reads each record's new image; the other view types do not carry it.
  if (stream.StreamViewType !== 'NEW_IMAGE' && stream.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
    throw new Error(`the stream of the telemetry table ${table} is ${String(stream.StreamViewType)}: the indexer needs NEW_IMAGE`);
  }
}
