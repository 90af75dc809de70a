import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, TELEMETRY_TABLE_NAMES, TELEMETRY_TABLES, TTL_ATTRIBUTE } from '@citus/dynamodb';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { DynamoTelemetryQueries } from '../src/adapters/dynamodb/telemetry-query.repository.js';
import { DynamoTelemetryTable } from '../src/adapters/dynamodb/telemetry.table.js';
import { seriesKey, thingKey } from '../src/adapters/dynamodb/telemetry.keys.js';
import { telemetryQueriesContract } from './support/telemetry-queries.contract.js';
import { aRecord, T0, THING, WORKSPACE } from './support/telemetry-fixture.js';

// The scale-out adapter against DynamoDB Local (Java); each test gets its own tables by prefix.
const dynamo = useDynamoDbLocal();

telemetryQueriesContract('DynamoTelemetryQueries', async () => {
  const prefix = dynamo.nextPrefix('contract');
  const clients = dynamo.clients();
  await ensureTables(clients.client, prefix, TELEMETRY_TABLES);
  return {
    queries: new DynamoTelemetryQueries(clients.documents, prefix),
    table: new DynamoTelemetryTable(clients.documents, prefix),
    destroy: async () => undefined,
  };
});

const MINUTE = 60_000;
const MAIN = `telemetry/${THING}`;
const POWER = `telemetry/${THING}/power`;
const scope = { workspaceId: WORKSPACE, thingName: THING };
const firstMinute = { from: T0, to: T0 + MINUTE - 1, bucket: MINUTE };

describe('DynamoTelemetryQueries on what else the table holds', () => {
  let prefix: string;
  let table: DynamoTelemetryTable;
  let queries: DynamoTelemetryQueries;

  beforeEach(async () => {
    prefix = dynamo.nextPrefix('queries');
    const clients = dynamo.clients();
    await ensureTables(clients.client, prefix, TELEMETRY_TABLES);
    table = new DynamoTelemetryTable(clients.documents, prefix);
    queries = new DynamoTelemetryQueries(clients.documents, prefix);
  });

  const store = (topic: string, epoch: number, document: Record<string, unknown>) =>
    table.write([{ record: aRecord({ topic, deviceEpoch: epoch, document }) }]);

  const putItem = (item: Record<string, unknown>) =>
    dynamo.clients().documents.send(new PutCommand({ TableName: `${prefix}${TELEMETRY_TABLE_NAMES.telemetry}`, Item: item }));

  /** An item as the hub writes it, with an expiry already past (DynamoDB has not deleted it yet). */
  const putExpired = (topic: string, epoch: number, document: Record<string, unknown>) =>
    putItem({
      topic,
      epoch,
      thingKey: thingKey(WORKSPACE, THING),
      seriesKey: seriesKey(epoch, topic),
      workspaceId: WORKSPACE,
      thingName: THING,
      payload: JSON.stringify(document),
      [TTL_ATTRIBUTE]: Math.floor(Date.now() / 1000) - 60,
    });

  /** An item as the AWS IoT telemetry rule writes it: the device's bytes, unchecked, in base64. */
  const putAsRule = (topic: string, epoch: number, payload: string) =>
    putItem({
      topic,
      epoch,
      thingName: THING,
      thingKey: thingKey(WORKSPACE, THING),
      seriesKey: seriesKey(epoch, topic),
      payload: `base64:${Buffer.from(payload).toString('base64')}`,
    });

  it('leaves expired items out of aggregates and latest values', async () => {
    await store(MAIN, T0, { value: 1 });
    await store(POWER, T0 + 1, { value: 2 });
    await putExpired(MAIN, T0 + 2, { value: 100 });
    await putExpired(POWER, T0 + 3, { value: 200 });
    expect(await queries.aggregate(scope, 'value', firstMinute)).toEqual([{ bucketStart: T0, min: 1, max: 2, avg: 1.5, count: 2, last: 2 }]);
    expect(await queries.aggregate({ ...scope, topic: POWER }, 'value', firstMinute)).toMatchObject([{ count: 1, last: 2 }]);
    expect(await queries.latest(WORKSPACE, [THING])).toEqual([
      { thingName: THING, topic: MAIN, epoch: T0, payload: { value: 1 } },
      { thingName: THING, topic: POWER, epoch: T0 + 1, payload: { value: 2 } },
    ]);
  });

  it('counts rule-written payloads that pass the ingest check, and skips the rest, newest included', async () => {
    await store(MAIN, T0, { value: 1 });
    await putAsRule(MAIN, T0 + 1, '{"value": 3}');
    await putAsRule(MAIN, T0 + 2, '{"value": "high"}');
    await putAsRule(MAIN, T0 + 3, 'not json');
    for (let i = 0; i < 12; i++) await putAsRule(MAIN, T0 + 10 + i, '[1]');
    expect(await queries.aggregate(scope, 'value', firstMinute)).toEqual([{ bucketStart: T0, min: 1, max: 3, avg: 2, count: 2, last: 3 }]);
    expect(await queries.aggregate({ ...scope, topic: MAIN }, 'value', firstMinute)).toMatchObject([{ count: 2, last: 3 }]);
    // The newest valid item sits behind 14 skipped ones: past the first pages of 1 and 10.
    expect(await queries.latest(WORKSPACE, [THING])).toEqual([{ thingName: THING, topic: MAIN, epoch: T0 + 1, payload: { value: 3 } }]);
  });

  it('does not list a topic only the AWS IoT rule has written (no registration: a known gap)', async () => {
    await store(MAIN, T0, { value: 1 });
    await putAsRule(POWER, T0 + 1, '{"value": 2}');
    expect(await queries.latest(WORKSPACE, [THING])).toEqual([expect.objectContaining({ topic: MAIN })]);
    expect(await queries.aggregate(scope, 'value', firstMinute)).toMatchObject([{ count: 2 }]);
  });

  it('refuses a range holding more items than it reads, and names the way to narrow it', async () => {
    const capped = new DynamoTelemetryQueries(dynamo.clients().documents, prefix, { maxItemsRead: 6 });
    for (let i = 0; i < 3; i++) await store(MAIN, T0 + i, { value: i });
    for (let i = 0; i < 3; i++) await store(POWER, T0 + 10 + i, { value: i });
    await putExpired(POWER, T0 + 20, { value: 9 });
    expect(await capped.aggregate({ ...scope, topic: POWER }, 'value', firstMinute)).toMatchObject([{ count: 3 }]);
    expect(await capped.aggregate(scope, 'value', { ...firstMinute, to: T0 + 12 })).toMatchObject([{ count: 6 }]);
    // Exactly as many as it reads is fine; one more is not, expired items (filtered by DynamoDB) included.
    expect(await capped.aggregate(scope, 'value', firstMinute)).toEqual({
      problem: 'the range holds more than 6 messages, the most one aggregates query reads from DynamoDB: choose a shorter range or name a stream',
    });
    for (let i = 0; i < 3; i++) await store(POWER, T0 + 30 + i, { value: 3 });
    expect(await capped.aggregate({ ...scope, topic: POWER }, 'value', firstMinute)).toEqual({
      problem: 'the range holds more than 6 messages, the most one aggregates query reads from DynamoDB: choose a shorter range',
    });
  });

  it('keeps to the workspace of the thing on a stream read too', async () => {
    await store(POWER, T0, { value: 1 });
    await putItem({ topic: POWER, epoch: T0 + 1, thingKey: thingKey('ws_other', THING), seriesKey: seriesKey(T0 + 1, POWER), payload: '{"value":50}' });
    expect(await queries.aggregate({ ...scope, topic: POWER }, 'value', firstMinute)).toMatchObject([{ count: 1, last: 1 }]);
    expect(await queries.latest(WORKSPACE, [THING])).toEqual([expect.objectContaining({ topic: POWER, payload: { value: 1 } })]);
  });
});
