import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  DynamoCheckpointStore,
  ensureCheckpointTable,
  ensureTables,
  REGISTRY_TABLES,
  StreamsChangeFeed,
  TELEMETRY_TABLE_NAMES,
  TELEMETRY_TABLES,
  type DynamoClients,
} from '@citus/dynamodb';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { toChangeRecord } from '../src/adapters/dynamodb/stream-record.mapper.js';
import type { ChangeBatch, FeedSubscription } from '../src/domain/change-feed.port.js';

// The DynamoDB Streams change feed against DynamoDB Local, which serves Streams too. Splits cannot
// be forced there: the parent -> child rule is tested in packages/dynamodb/test/shard-order.rules.test.ts.
const WORKSPACE = 'ws_home';
const T0 = Date.UTC(2025, 0, 1, 12);
const dynamo = useDynamoDbLocal();
let clients: DynamoClients;
let streams: DynamoDBStreamsClient;
let prefix: string;
let subscriptions: FeedSubscription[] = [];

beforeAll(() => {
  clients = dynamo.clients();
  streams = new DynamoDBStreamsClient({ region: 'eu-west-1', endpoint: dynamo.endpoint(), credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(() => streams?.destroy());

beforeEach(async () => {
  prefix = dynamo.nextPrefix('feed');
  await ensureTables(clients.client, prefix, TELEMETRY_TABLES);
  await ensureCheckpointTable(clients.client, prefix);
});

afterEach(async () => {
  await Promise.all(subscriptions.map((subscription) => subscription.stop()));
  subscriptions = [];
});

const checkpoints = () => new DynamoCheckpointStore(clients.documents, prefix);
const telemetryTable = () => `${prefix}${TELEMETRY_TABLE_NAMES.telemetry}`;

function start(handle: (batch: ChangeBatch) => Promise<void>): FeedSubscription {
  const feed = new StreamsChangeFeed({
    dynamodb: clients.client,
    streams,
    tableName: telemetryTable(),
    toRecord: toChangeRecord,
    checkpoints: checkpoints(),
    pollIntervalMs: 20,
    discoveryIntervalMs: 200,
    batchLimit: 7,
    backoff: { initialMs: 10, maxMs: 50 },
  });
  const subscription = feed.start('indexer', handle);
  subscriptions.push(subscription);
  return subscription;
}

/** An item shaped as the hub's DynamoDB telemetry table writes it. */
async function putTelemetry(thingName: string, epoch: number, value: number): Promise<void> {
  const topic = `telemetry/${thingName}`;
  await clients.documents.send(
    new PutCommand({
      TableName: telemetryTable(),
      Item: {
        topic,
        epoch,
        thingKey: `${WORKSPACE}#${thingName}`,
        seriesKey: `${String(epoch).padStart(16, '0')}#${topic}`,
        workspaceId: WORKSPACE,
        thingName,
        payload: JSON.stringify({ value }),
        receivedAt: epoch,
      },
    }),
  );
}

async function putSeries(things: string[], count: number, from = 0): Promise<string[]> {
  const keys: string[] = [];
  for (let i = from; i < from + count; i++) {
    for (const thing of things) {
      await putTelemetry(thing, T0 + i * 1000, i);
      keys.push(`telemetry/${thing}#${T0 + i * 1000}`);
    }
  }
  return keys;
}

const keysOf = (batches: ChangeBatch[]) => batches.flatMap((batch) => batch.records.map((record) => `${record.topic}#${record.epoch}`));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('StreamsChangeFeed on DynamoDB Local', () => {
  it('delivers every telemetry record once, in order per topic, with the image the hub wrote', async () => {
    const written = await putSeries(['boiler-1', 'boiler-2', 'boiler-3'], 12);
    const batches: ChangeBatch[] = [];
    const subscription = start(async (batch) => void batches.push(batch));
    await waitFor(() => keysOf(batches).length >= written.length, 'every record');

    expect(keysOf(batches).sort()).toEqual([...written].sort());
    for (const thing of ['boiler-1', 'boiler-2', 'boiler-3']) {
      const epochs = batches.flatMap((batch) => batch.records).filter((record) => record.thingName === thing).map((record) => record.epoch);
      expect(epochs).toEqual(Array.from({ length: 12 }, (_, i) => T0 + i * 1000));
    }
    expect(batches[0]?.records[0]).toEqual({ topic: 'telemetry/boiler-1', epoch: T0, workspaceId: WORKSPACE, thingName: 'boiler-1', payload: '{"value":0}' });
    expect(batches.every((batch) => batch.records.length <= 7 && batch.partition.length > 0)).toBe(true);
    await waitFor(() => subscription.lagMs() === 0, 'caught up');
  });

  it('ignores REMOVE events and items that are not telemetry records', async () => {
    await putTelemetry('boiler-1', T0, 1);
    await clients.documents.send(new PutCommand({ TableName: telemetryTable(), Item: { topic: 'telemetry/boiler-1', epoch: T0 + 1, note: 'no payload' } }));
    await clients.documents.send(new DeleteCommand({ TableName: telemetryTable(), Key: { topic: 'telemetry/boiler-1', epoch: T0 } }));
    await putTelemetry('boiler-1', T0 + 2, 2);
    const batches: ChangeBatch[] = [];
    start(async (batch) => void batches.push(batch));
    await waitFor(() => keysOf(batches).includes(`telemetry/boiler-1#${T0 + 2}`), 'the last record');
    expect(keysOf(batches)).toEqual([`telemetry/boiler-1#${T0}`, `telemetry/boiler-1#${T0 + 2}`]);
  });

  it('resumes after its checkpoint when stopped and started again: nothing lost, nothing handled twice', async () => {
    const before = await putSeries(['boiler-1'], 30);
    const first: ChangeBatch[] = [];
    const subscription = start(async (batch) => void first.push(batch));
    await waitFor(() => first.length >= 2, 'two batches');
    await subscription.stop();
    const handledFirst = keysOf(first);
    expect(handledFirst.length).toBeGreaterThan(0);

    const after = await putSeries(['boiler-1'], 10, 30);
    const second: ChangeBatch[] = [];
    start(async (batch) => void second.push(batch));
    await waitFor(() => new Set([...handledFirst, ...keysOf(second)]).size >= before.length + after.length, 'every record across both runs');

    // stop() waited for the batch in hand and saved its checkpoint, so the second run replays none.
    expect(keysOf(second).filter((key) => handledFirst.includes(key))).toEqual([]);
    expect([...handledFirst, ...keysOf(second)]).toEqual([...before, ...after]);
  });

  it('retries a failing handle with the same records and skips nothing', async () => {
    const written = await putSeries(['boiler-1', 'boiler-2'], 10);
    const calls: ChangeBatch[] = [];
    const handled: ChangeBatch[] = [];
    start(async (batch) => {
      calls.push(batch);
      if (calls.length <= 2) throw new Error('index unavailable');
      handled.push(batch);
    });
    await waitFor(() => keysOf(handled).length >= written.length, 'every record');

    expect(calls[1]).toEqual(calls[0]);
    expect(calls[2]).toEqual(calls[0]);
    expect(keysOf(handled)).toEqual(written);
  });

  it('reads the first record of a shard it started on empty, after other tables were written meanwhile', async () => {
    // DynamoDB Local then answers the empty shard's iterator with TrimmedDataAccessException:
    // retrying that iterator never ends; a new one from the checkpoint reads on.
    const batches: ChangeBatch[] = [];
    start(async (batch) => void batches.push(batch));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ensureTables(clients.client, prefix, REGISTRY_TABLES);
    for (let i = 0; i < 3; i++) await clients.documents.send(new PutCommand({ TableName: `${prefix}registry`, Item: { pk: `DEVICE#${i}`, sk: 'DEVICE' } }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await putTelemetry('boiler-1', T0, 1);
    await waitFor(() => keysOf(batches).length === 1, 'the record');
    expect(keysOf(batches)).toEqual([`telemetry/boiler-1#${T0}`]);
  });

  it('saves no checkpoint for a batch whose handle never succeeded: the next run gets it again', async () => {
    const written = await putSeries(['boiler-1'], 5);
    let attempts = 0;
    const failing = start(async () => {
      attempts++;
      throw new Error('index unavailable');
    });
    await waitFor(() => attempts >= 2, 'a retried batch');
    await failing.stop();
    const batches: ChangeBatch[] = [];
    start(async (batch) => void batches.push(batch));
    await waitFor(() => keysOf(batches).length >= written.length, 'every record');
    expect(keysOf(batches)).toEqual(written);
  });

  it('stop() waits for the batch in hand and saves its checkpoint', async () => {
    await putSeries(['boiler-1'], 3);
    let release: () => void = () => undefined;
    let entered = false;
    let finished = false;
    const subscription = start(async () => {
      entered = true;
      await new Promise<void>((resolve) => (release = resolve));
      finished = true;
    });
    await waitFor(() => entered, 'a batch in hand');
    const stopped = subscription.stop();
    setTimeout(() => release(), 200);
    await stopped;
    expect(finished).toBe(true);
    expect(await shardsWithCheckpoint(checkpoints())).toBeGreaterThan(0);
  });
});

/** Counts the stream's shards that have a saved position for the consumer. */
async function shardsWithCheckpoint(store: DynamoCheckpointStore): Promise<number> {
  const { Table } = await clients.client.send(new DescribeTableCommand({ TableName: telemetryTable() }));
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: Table?.LatestStreamArn }));
  let count = 0;
  for (const shard of StreamDescription?.Shards ?? []) if (await store.load('indexer', shard.ShardId as string)) count++;
  return count;
}
