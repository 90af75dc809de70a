import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, TELEMETRY_TABLE_NAMES, TELEMETRY_TABLES } from '@citus/dynamodb';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { DynamoTelemetryTable } from '../src/adapters/dynamodb/telemetry.table.js';
import { thingKey } from '../src/adapters/dynamodb/telemetry.keys.js';
import { telemetryTableContract } from './support/telemetry-table.contract.js';

// The scale-out adapter against DynamoDB Local (Java); each test gets its own tables by prefix.
const dynamo = useDynamoDbLocal();

telemetryTableContract('DynamoTelemetryTable', async () => {
  const prefix = dynamo.nextPrefix('contract');
  const clients = dynamo.clients();
  await ensureTables(clients.client, prefix, TELEMETRY_TABLES);
  return {
    table: new DynamoTelemetryTable(clients.documents, prefix),
    reopen: () => new DynamoTelemetryTable(clients.documents, prefix),
    deadLetterPayloads: async (workspaceId, thingName) => {
      const { Items = [] } = await clients.documents.send(
        new QueryCommand({
          TableName: `${prefix}${TELEMETRY_TABLE_NAMES.deadLetters}`,
          KeyConditionExpression: 'thingKey = :thing',
          ExpressionAttributeValues: { ':thing': thingKey(workspaceId, thingName) },
        }),
      );
      return Items.map((item) => Buffer.from(item.payload as Uint8Array));
    },
    destroy: async () => undefined,
  };
});
