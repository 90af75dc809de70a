import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTables, tableName, type TableDefinition } from '../tables.js';
import type { StreamCheckpoints } from './stream-feed.port.js';

/** Named for its first consumer; the indexer, analytics and any other stream consumer share it, keyed by consumer. */
export const CHECKPOINT_TABLE_NAME = 'indexer-checkpoints';

/** One item per consumer and partition (a stream shard): its position and whether it is finished. */
export const CHECKPOINT_TABLE: TableDefinition = {
  name: CHECKPOINT_TABLE_NAME,
  AttributeDefinitions: [
    { AttributeName: 'consumer', AttributeType: 'S' },
    { AttributeName: 'partition', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'consumer', KeyType: 'HASH' },
    { AttributeName: 'partition', KeyType: 'RANGE' },
  ],
};

/** Creates the checkpoint table when it does not exist yet (on-demand, like the telemetry tables). */
export function ensureCheckpointTable(client: DynamoDBClient, prefix = ''): Promise<void> {
  return ensureTables(client, prefix, [CHECKPOINT_TABLE]);
}

/**
 * Consumer positions in DynamoDB, for scale-out stream consumers (several replicas, no shared disk).
 * Reads are strongly consistent: a restarted consumer must see the last position it saved, or it
 * would replay more than the batch in flight. Each write sets only its own attributes, so saving a
 * position never clears the finished flag and the reverse.
 */
export class DynamoCheckpointStore implements StreamCheckpoints {
  private readonly table: string;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    tablePrefix = '',
  ) {
    this.table = tableName(tablePrefix, CHECKPOINT_TABLE_NAME);
  }

  async load(consumer: string, partition: string): Promise<string | undefined> {
    const item = await this.get(consumer, partition);
    return item?.position as string | undefined;
  }

  async save(consumer: string, partition: string, position: string): Promise<void> {
    await this.set(consumer, partition, '#position = :position', { '#position': 'position' }, { ':position': position });
  }

  async markFinished(consumer: string, partition: string): Promise<void> {
    await this.set(consumer, partition, '#finished = :finished', { '#finished': 'finished' }, { ':finished': true });
  }

  async isFinished(consumer: string, partition: string): Promise<boolean> {
    const item = await this.get(consumer, partition);
    return item?.finished === true;
  }

  private async get(consumer: string, partition: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.table, Key: { consumer, partition }, ConsistentRead: true }));
    return Item;
  }

  private async set(consumer: string, partition: string, assignment: string, names: Record<string, string>, values: Record<string, unknown>): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { consumer, partition },
        UpdateExpression: `SET ${assignment}, #updatedAt = :updatedAt`,
        ExpressionAttributeNames: { ...names, '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ...values, ':updatedAt': Date.now() },
      }),
    );
  }
}
