import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClients, ensureTables, startDynamoDbLocal, TELEMETRY_BY_THING_INDEX, TELEMETRY_TABLES, type DynamoClients } from '../src/index.js';
import { useDynamoDbLocal } from './support/dynamodb-local.fixture.js';

const dynamo = useDynamoDbLocal();
let clients: DynamoClients;

beforeAll(() => {
  clients = dynamo.clients();
});

describe('ensureTables on DynamoDB Local', () => {
  it('creates the missing telemetry tables on demand, with the stream and the by-thing index', async () => {
    await ensureTables(clients.client, 'app-', TELEMETRY_TABLES);
    const { TableNames } = await clients.client.send(new ListTablesCommand({}));
    expect(TableNames).toEqual(['app-telemetry', 'app-telemetry-dead-letters', 'app-telemetry-displaced', 'app-telemetry-topics']);
    const { Table } = await clients.client.send(new DescribeTableCommand({ TableName: 'app-telemetry' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'topic', KeyType: 'HASH' },
      { AttributeName: 'epoch', KeyType: 'RANGE' },
    ]);
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect(Table?.LatestStreamArn).toEqual(expect.any(String));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([TELEMETRY_BY_THING_INDEX]);
  });

  it('leaves existing tables alone on a second start', async () => {
    await ensureTables(clients.client, 'again-', TELEMETRY_TABLES);
    const before = await clients.client.send(new DescribeTableCommand({ TableName: 'again-telemetry' }));
    await ensureTables(clients.client, 'again-', TELEMETRY_TABLES);
    const after = await clients.client.send(new DescribeTableCommand({ TableName: 'again-telemetry' }));
    expect(after.Table?.CreationDateTime).toEqual(before.Table?.CreationDateTime);
    expect(after.Table?.LatestStreamArn).toBe(before.Table?.LatestStreamArn);
  });

  it('reports a bad definition instead of ignoring it', async () => {
    const [telemetry] = TELEMETRY_TABLES;
    const broken = { ...telemetry, name: 'broken', KeySchema: [{ AttributeName: 'missing', KeyType: 'HASH' as const }] };
    await expect(ensureTables(clients.client, 'x-', [broken as (typeof TELEMETRY_TABLES)[number]])).rejects.toThrow();
  });
});

describe('startDynamoDbLocal', () => {
  it('stops the server it started', async () => {
    const other = await startDynamoDbLocal();
    const probe = createDynamoClients({ region: 'eu-west-1', endpoint: other.endpoint });
    try {
      await expect(probe.client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
      await other.stop();
      await expect(probe.client.send(new ListTablesCommand({}))).rejects.toThrow();
    } finally {
      probe.destroy();
      await other.stop();
    }
  }, 60_000);
});
