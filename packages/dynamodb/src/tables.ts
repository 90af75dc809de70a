import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** A table as its owner declares it; the name is completed with the installation's prefix. */
export type TableDefinition = Omit<CreateTableCommandInput, 'TableName' | 'BillingMode' | 'ProvisionedThroughput'> & {
  name: string;
  /** DynamoDB TTL: the attribute holding each item's expiry in epoch seconds. */
  timeToLiveAttribute?: string;
};

export const tableName = (prefix: string, name: string): string => `${prefix}${name}`;

/** The attribute definitions and key schema of a table keyed by a string partition key and, optionally, a string sort key. */
export function stringKeys(partitionKey: string, sortKey?: string): Pick<TableDefinition, 'AttributeDefinitions' | 'KeySchema'> {
  const keys = sortKey === undefined ? [partitionKey] : [partitionKey, sortKey];
  return {
    AttributeDefinitions: keys.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: keys.map((AttributeName, index) => ({ AttributeName, KeyType: index === 0 ? 'HASH' : 'RANGE' })),
  };
}

/**
 * Creates the tables that do not exist yet, on-demand (pay per request: no capacity to plan for a
 * bursty device fleet), and waits until they are ACTIVE. Existing tables are left as they are:
 * changing keys or indexes of a live table is a migration, not a start-up step.
 */
export async function ensureTables(client: DynamoDBClient, prefix: string, definitions: TableDefinition[]): Promise<void> {
  for (const { name, timeToLiveAttribute, ...definition } of definitions) {
    const TableName = tableName(prefix, name);
    if (await tableExists(client, TableName)) continue;
    try {
      await client.send(new CreateTableCommand({ ...definition, TableName, BillingMode: 'PAY_PER_REQUEST' }));
    } catch (error) {
      // Another instance starting at the same moment created it first.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1 }, { TableName });
    if (timeToLiveAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true } }),
      );
    }
  }
}

/**
 * Fails unless every table exists. For AWS, where tables are deployed with the infrastructure and
 * a service's role should not be allowed to create them; `remedy` tells the operator what to do.
 */
export async function requireTables(client: DynamoDBClient, prefix: string, definitions: TableDefinition[], remedy: string): Promise<void> {
  const missing: string[] = [];
  for (const { name } of definitions) {
    const TableName = tableName(prefix, name);
    if (!(await tableExists(client, TableName))) missing.push(TableName);
  }
  if (missing.length > 0) throw new Error(`DynamoDB tables missing: ${missing.join(', ')}; ${remedy}`);
}

async function tableExists(client: DynamoDBClient, TableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}
