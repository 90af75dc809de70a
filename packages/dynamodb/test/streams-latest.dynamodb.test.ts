import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, REGISTRY_TABLES, StreamsChangeFeed, type StreamBatch, type StreamRecord, type StreamSubscription } from '../src/index.js';
import { useDynamoDbLocal } from './support/dynamodb-local.fixture.js';

// A feed started at LATEST, without checkpoints, against DynamoDB Local: what is written before
// its iterators are open is left to the consumer's own read; everything after is delivered.
const dynamo = useDynamoDbLocal();
let streams: DynamoDBStreamsClient;
let prefix: string;
let subscriptions: StreamSubscription[] = [];

beforeAll(() => {
  streams = new DynamoDBStreamsClient({ region: 'eu-west-1', endpoint: dynamo.endpoint(), credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(() => streams?.destroy());

beforeEach(async () => {
  prefix = dynamo.nextPrefix('latest');
  await ensureTables(dynamo.clients().client, prefix, REGISTRY_TABLES);
});

afterEach(async () => {
  await Promise.all(subscriptions.map((subscription) => subscription.stop()));
  subscriptions = [];
});

const keyOf = (record: StreamRecord): string | undefined => record.dynamodb?.Keys?.pk?.S;

function start(handle: (batch: StreamBatch<string>) => Promise<void>): StreamSubscription {
  const feed = new StreamsChangeFeed<string>({
    dynamodb: dynamo.clients().client,
    streams,
    tableName: `${prefix}registry`,
    toRecord: keyOf,
    startAt: 'latest',
    pollIntervalMs: 20,
    discoveryIntervalMs: 200,
    backoff: { initialMs: 10, maxMs: 50 },
  });
  const subscription = feed.start('directory', handle);
  subscriptions.push(subscription);
  return subscription;
}

const put = (pk: string) => dynamo.clients().documents.send(new PutCommand({ TableName: `${prefix}registry`, Item: { pk, sk: 'X' } }));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('StreamsChangeFeed started at LATEST', () => {
  it('delivers what is written once it is ready, and nothing written before it started', async () => {
    for (const pk of ['before-1', 'before-2']) await put(pk);
    const seen: string[] = [];
    const subscription = start(async (batch) => void seen.push(...batch.records));
    await subscription.ready();
    for (const pk of ['after-1', 'after-2', 'after-3']) await put(pk);
    await waitFor(() => seen.length >= 3, 'the writes made after ready');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual(['after-1', 'after-2', 'after-3']);
  });

  it('keeps no checkpoint table', async () => {
    const subscription = start(async () => undefined);
    await subscription.ready();
    await put('one');
    const { TableNames } = await dynamo.clients().client.send(new ListTablesCommand({}));
    expect(TableNames?.filter((name) => name.startsWith(prefix))).toEqual([`${prefix}registry`]);
  });

  it('ready() resolves at stop when the table has no stream yet to open', async () => {
    const feed = new StreamsChangeFeed<string>({
      dynamodb: dynamo.clients().client,
      streams,
      tableName: `${prefix}missing`,
      toRecord: keyOf,
      startAt: 'latest',
      backoff: { initialMs: 10, maxMs: 50 },
    });
    const subscription = feed.start('directory', async () => undefined);
    let ready = false;
    void subscription.ready().then(() => (ready = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ready).toBe(false);
    await subscription.stop();
    await subscription.ready();
    expect(ready).toBe(true);
  });
});
