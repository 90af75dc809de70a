import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  createDynamoClients,
  ensureTables,
  REGISTRY_TABLES,
  startDynamoDbLocal,
  TELEMETRY_BY_THING_INDEX,
  TELEMETRY_TABLES,
  type DynamoClients,
  type TableDefinition,
} from '../src/index.js';
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

describe('ensureTables and the registry table stream (DynamoDB Local)', () => {
  const [registry] = REGISTRY_TABLES as [TableDefinition];
  const { StreamSpecification: _stream, ...olderRegistry } = registry;
  const tableOf = async (TableName: string) => (await clients.client.send(new DescribeTableCommand({ TableName }))).Table;

  it('creates the registry table with a stream of new and old images', async () => {
    await ensureTables(clients.client, 'fresh-', REGISTRY_TABLES);
    const table = await tableOf('fresh-registry');
    expect(table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(table?.LatestStreamArn).toEqual(expect.any(String));
  });

  it("enables the stream on a registry table an older version made without one, keeping the table and its items", async () => {
    await ensureTables(clients.client, 'older-', [olderRegistry]);
    const before = await tableOf('older-registry');
    expect(before?.StreamSpecification?.StreamEnabled ?? false).toBe(false);
    await clients.documents.send(new PutCommand({ TableName: 'older-registry', Item: { pk: 'DEVICE#d1', sk: 'DEVICE', kind: 'device' } }));

    await ensureTables(clients.client, 'older-', REGISTRY_TABLES);
    const after = await tableOf('older-registry');
    expect(after?.TableStatus).toBe('ACTIVE');
    expect(after?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(after?.LatestStreamArn).toEqual(expect.any(String));
    expect(after?.CreationDateTime).toEqual(before?.CreationDateTime);
    expect((await clients.documents.send(new ScanCommand({ TableName: 'older-registry' }))).Count).toBe(1);

    // A second start finds the stream there and leaves it (and its ARN) alone.
    await ensureTables(clients.client, 'older-', REGISTRY_TABLES);
    expect((await tableOf('older-registry'))?.LatestStreamArn).toBe(after?.LatestStreamArn);
  });

  it('refuses to switch a stream of another view type, naming the table', async () => {
    const keysOnly = { ...registry, StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' as const } };
    await ensureTables(clients.client, 'keys-', [keysOnly]);
    await expect(ensureTables(clients.client, 'keys-', REGISTRY_TABLES)).rejects.toThrow(
      'table keys-registry has a KEYS_ONLY stream where NEW_AND_OLD_IMAGES is declared: disable its stream, then start again',
    );
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
