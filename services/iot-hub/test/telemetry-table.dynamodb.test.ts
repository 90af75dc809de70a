import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  createDynamoClients,
  ensureTables,
  startDynamoDbLocal,
  TELEMETRY_TABLE_NAMES,
  TELEMETRY_TABLES,
  type DynamoClients,
  type DynamoDbLocal,
} from '@citus/dynamodb';
import { DynamoTelemetryTable } from '../src/adapters/dynamodb/telemetry.table.js';
import { thingKey } from '../src/adapters/dynamodb/telemetry.keys.js';
import { telemetryTableContract } from './support/telemetry-table.contract.js';

// The scale-out adapter against DynamoDB Local (Java); each test gets its own tables by prefix.
let local: DynamoDbLocal;
let clients: DynamoClients;
let tablesCreated = 0;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  clients = createDynamoClients({ region: 'eu-west-1', endpoint: local.endpoint });
}, 60_000);

afterAll(async () => {
  clients?.destroy();
  await local?.stop();
});

telemetryTableContract('DynamoTelemetryTable', async () => {
  const prefix = `contract-${++tablesCreated}-`;
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
