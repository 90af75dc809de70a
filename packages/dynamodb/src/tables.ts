import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type StreamSpecification,
  type TableDescription,
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
 * bursty device fleet), and waits until they are ACTIVE. Existing tables keep their keys and
 * indexes (changing those on a live table is a migration, not a start-up step), with one upgrade:
 * a table made by an older version without the stream its definition now declares gets it
 * (`enableStream`), since a stream only carries changes made after it was enabled.
 */
export async function ensureTables(client: DynamoDBClient, prefix: string, definitions: TableDefinition[]): Promise<void> {
  for (const { name, timeToLiveAttribute, ...definition } of definitions) {
    const TableName = tableName(prefix, name);
    const existing = await describeTable(client, TableName);
    if (existing) {
      if (definition.StreamSpecification?.StreamEnabled) await enableStream(client, existing, definition.StreamSpecification);
      continue;
    }
    try {
      await client.send(new CreateTableCommand({ ...definition, TableName, BillingMode: 'PAY_PER_REQUEST' }));
    } catch (error) {
      // Another instance starting at the same moment created it first.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilActive(client, TableName);
    if (timeToLiveAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true } }),
      );
    }
  }
}

/**
 * Turns on the declared stream of an existing table that has none (UpdateTable), and waits until
 * the table is ACTIVE again. A stream of another view type is not switched: that takes disabling
 * it first, which ends the stream its readers follow, so it is an operator's decision.
 */
async function enableStream(client: DynamoDBClient, table: TableDescription, wanted: StreamSpecification): Promise<void> {
  const TableName = table.TableName as string;
  const current = table.StreamSpecification;
  if (current?.StreamEnabled) {
    if (current.StreamViewType === wanted.StreamViewType) return;
    throw new Error(
      `table ${TableName} has a ${String(current.StreamViewType)} stream where ${String(wanted.StreamViewType)} is declared: disable its stream, then start again`,
    );
  }
  // An UpdateTable cannot start while the table is still being created or updated.
  await waitUntilActive(client, TableName);
  try {
    await client.send(new UpdateTableCommand({ TableName, StreamSpecification: wanted }));
  } catch (error) {
    // Another instance starting at the same moment enabled it first (or is still doing so).
    const now = await describeTable(client, TableName);
    if (now?.StreamSpecification?.StreamViewType !== wanted.StreamViewType) throw error;
  }
  await waitUntilActive(client, TableName);
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
  return (await describeTable(client, TableName)) !== undefined;
}

async function describeTable(client: DynamoDBClient, TableName: string): Promise<TableDescription | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    return Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** Waits until the table is ACTIVE (the waiter's success state), after a create or an update. */
function waitUntilActive(client: DynamoDBClient, TableName: string): Promise<unknown> {
  return waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1 }, { TableName });
}
