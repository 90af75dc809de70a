import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, TELEMETRY_TABLE_NAMES, TELEMETRY_TABLES, TTL_ATTRIBUTE } from '@citus/dynamodb';
import { telemetryRuleAttributes } from '../../../packages/aws-iot/src/telemetry-rule.js';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { DynamoTelemetryTable } from '../src/adapters/dynamodb/telemetry.table.js';
import { thingKey } from '../src/adapters/dynamodb/telemetry.keys.js';
import { telemetryTableContract } from './support/telemetry-table.contract.js';
import { aDeadLetter, aRecord, T0, THING, WORKSPACE } from './support/telemetry-fixture.js';

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

describe('DynamoTelemetryTable retention (DynamoDB TTL)', () => {
  const DAY_S = 86_400;
  let prefix: string;
  let table: DynamoTelemetryTable;
  const retentionDays = new Map([[WORKSPACE, 7]]);

  beforeEach(async () => {
    prefix = dynamo.nextPrefix('ttl');
    const clients = dynamo.clients();
    await ensureTables(clients.client, prefix, TELEMETRY_TABLES);
    table = new DynamoTelemetryTable(clients.documents, prefix, {
      expiresAt: (workspaceId, epochMs) => {
        const days = retentionDays.get(workspaceId);
        return days === undefined ? undefined : Math.floor(epochMs / 1000) + days * DAY_S;
      },
    });
  });

  const items = async (name: string) =>
    (await dynamo.clients().documents.send(new ScanCommand({ TableName: `${prefix}${name}` }))).Items ?? [];

  it('turns TTL on for every telemetry table, on the expiresAt attribute', async () => {
    for (const name of Object.values(TELEMETRY_TABLE_NAMES)) {
      const { TimeToLiveDescription } = await dynamo.clients().client.send(new DescribeTimeToLiveCommand({ TableName: `${prefix}${name}` }));
      expect([name, TimeToLiveDescription?.AttributeName, TimeToLiveDescription?.TimeToLiveStatus]).toEqual([name, TTL_ATTRIBUTE, 'ENABLED']);
    }
  });

  it("stamps records, displaced markers and dead letters with the workspace's expiry, and nothing elsewhere", async () => {
    const now = Date.now();
    const mine = aRecord({ receivedAt: now, deviceEpoch: now - 1_000, document: { value: 1 } });
    const displaced = aRecord({ receivedAt: now + 5, deviceEpoch: now - 1_000, document: { value: 2 } });
    const other = aRecord({ workspaceId: 'ws_forever', thingName: 'elsewhere', receivedAt: now, document: { value: 3 } });
    await table.write([{ record: mine }, { record: displaced }, { record: other }, { deadLetter: aDeadLetter({ receivedAt: now }) }]);
    const expiry = (epochMs: number) => Math.floor(epochMs / 1000) + 7 * DAY_S;
    const telemetry = await items(TELEMETRY_TABLE_NAMES.telemetry);
    expect(telemetry.map((item) => [item.workspaceId, item.epoch, item[TTL_ATTRIBUTE]]).sort()).toEqual(
      [
        [WORKSPACE, now - 1_000, expiry(now - 1_000)],
        [WORKSPACE, now + 5, expiry(now + 5)],
        ['ws_forever', now, undefined],
      ].sort(),
    );
    expect((await items(TELEMETRY_TABLE_NAMES.displaced)).map((item) => item[TTL_ATTRIBUTE])).toEqual([expiry(now + 5)]);
    expect((await items(TELEMETRY_TABLE_NAMES.deadLetters)).map((item) => item[TTL_ATTRIBUTE])).toEqual([expiry(now)]);
  });

  it('no longer reads items past their expiry, before DynamoDB gets round to deleting them', async () => {
    const old = Date.now() - 8 * DAY_S * 1000;
    await table.write([
      { record: aRecord({ receivedAt: old, deviceEpoch: old, document: { value: 'expired' } }) },
      { record: aRecord({ receivedAt: Date.now(), document: { value: 'kept' } }) },
      { deadLetter: aDeadLetter({ receivedAt: old }) },
    ]);
    expect(await items(TELEMETRY_TABLE_NAMES.telemetry)).toHaveLength(2);
    const read = await table.query(WORKSPACE, THING, { limit: 10, order: 'asc' });
    expect(read.map((item) => item.payload.value)).toEqual(['kept']);
    await expect(table.countDeadLetters(WORKSPACE, THING)).resolves.toBe(0);
    await expect(table.recentDeadLetters(WORKSPACE, THING, 5)).resolves.toEqual([]);
  });
});

describe('DynamoTelemetryTable reading what the AWS IoT telemetry rule writes', () => {
  let prefix: string;
  let table: DynamoTelemetryTable;

  beforeEach(async () => {
    prefix = dynamo.nextPrefix('rule');
    const clients = dynamo.clients();
    await ensureTables(clients.client, prefix, TELEMETRY_TABLES);
    table = new DynamoTelemetryTable(clients.documents, prefix);
  });

  interface RuleMessage {
    topic: string;
    /** The bytes the device published. */
    payload: string;
    /** `timestamp()` in the rule: the receive time, ms. */
    receivedAt: number;
    /** The thing's `workspaceId` attribute in the AWS IoT registry, as get_registry_data answers it. */
    workspaceId?: string;
    /** The second `timestamp()` call of the SQL (for `seriesKey`), when it answers later than the first. */
    seriesReceivedAt?: number;
  }

  /**
   * The item the rule's DynamoDBv2 action puts, attribute for attribute: each field of its SELECT
   * (telemetryRuleAttributes) becomes one, strings as S and `timestamp()` as N.
   */
  function ruleItem(message: RuleMessage): Record<string, unknown> {
    const thingName = message.topic.split('/')[1] as string;
    return {
      topic: message.topic,
      epoch: message.receivedAt,
      thingName,
      thingKey: `${message.workspaceId ?? WORKSPACE}#${thingName}`,
      seriesKey: `00${message.seriesReceivedAt ?? message.receivedAt}#${message.topic}`,
      payload: `base64:${Buffer.from(message.payload).toString('base64')}`,
    };
  }

  const putAsRule = (message: RuleMessage) =>
    dynamo.clients().documents.send(new PutCommand({ TableName: `${prefix}${TELEMETRY_TABLE_NAMES.telemetry}`, Item: ruleItem(message) }));

  const MAIN = `telemetry/${THING}`;
  const POWER = `telemetry/${THING}/power`;

  it('builds the item from the same attributes the rule selects, with the 15-digit key for 13-digit receive times', () => {
    const item = ruleItem({ topic: MAIN, payload: '{}', receivedAt: T0 });
    expect(Object.keys(item).sort()).toEqual(telemetryRuleAttributes('role').map((field) => field.attribute).sort());
    expect(String(T0)).toHaveLength(13);
    expect(item.seriesKey).toBe(`${String(T0).padStart(15, '0')}#${MAIN}`);
  });

  it("reads rule-written items in (epoch, topic) order with the hub's, both ways and page by page", async () => {
    await table.write([
      { record: aRecord({ receivedAt: T0, document: { value: 1 } }) },
      { record: aRecord({ receivedAt: T0 + 20, document: { value: 4 } }) },
    ]);
    await putAsRule({ topic: POWER, payload: '{"value":2,"unit":"W"}', receivedAt: T0 + 10 });
    await putAsRule({ topic: MAIN, payload: ' {"value": 3, "label":"caf\u00e9 ☕"}\n', receivedAt: T0 + 10 });
    const ascending = await table.query(WORKSPACE, THING, { limit: 10, order: 'asc' });
    expect(ascending).toEqual([
      { topic: MAIN, epoch: T0, payload: { value: 1 } },
      { topic: MAIN, epoch: T0 + 10, payload: { value: 3, label: 'café ☕' } },
      { topic: POWER, epoch: T0 + 10, payload: { value: 2, unit: 'W' } },
      { topic: MAIN, epoch: T0 + 20, payload: { value: 4 } },
    ]);
    expect(await table.query(WORKSPACE, THING, { limit: 10, order: 'desc' })).toEqual([...ascending].reverse());
    const pages: unknown[] = [];
    let after: { epoch: number; topic: string } | undefined;
    for (let page = 0; page < 5; page++) {
      const [item] = await table.query(WORKSPACE, THING, { limit: 1, order: 'asc', after });
      if (!item) break;
      pages.push(item);
      after = { epoch: item.epoch, topic: item.topic };
    }
    expect(pages).toEqual(ascending);
  });

  it("takes the epoch from the series key, so a cursor on a rule item whose two timestamp() calls differ never repeats it", async () => {
    await putAsRule({ topic: MAIN, payload: '{"value":1}', receivedAt: T0, seriesReceivedAt: T0 + 1 });
    await table.write([{ record: aRecord({ receivedAt: T0 + 5, document: { value: 2 } }) }]);
    const [first] = await table.query(WORKSPACE, THING, { limit: 1, order: 'asc' });
    expect(first).toEqual({ topic: MAIN, epoch: T0 + 1, payload: { value: 1 } });
    const rest = await table.query(WORKSPACE, THING, { limit: 10, order: 'asc', after: { epoch: T0 + 1, topic: MAIN } });
    expect(rest.map((item) => item.payload.value)).toEqual([2]);
  });

  it("keeps rule items in their thing's workspace, and leaves out what the hub would have dead-lettered", async () => {
    await putAsRule({ topic: MAIN, payload: '{"value":1}', receivedAt: T0, workspaceId: 'ws_other' });
    await putAsRule({ topic: MAIN, payload: 'not json', receivedAt: T0 + 1 });
    await putAsRule({ topic: MAIN, payload: '[1,2]', receivedAt: T0 + 2 });
    await putAsRule({ topic: MAIN, payload: '{"value":"high"}', receivedAt: T0 + 3 });
    await putAsRule({ topic: MAIN, payload: '{"value":5}', receivedAt: T0 + 4 });
    expect(await table.query(WORKSPACE, THING, { limit: 10, order: 'asc' })).toEqual([{ topic: MAIN, epoch: T0 + 4, payload: { value: 5 } }]);
    expect(await table.query('ws_other', THING, { limit: 10, order: 'asc' })).toEqual([{ topic: MAIN, epoch: T0, payload: { value: 1 } }]);
  });
});

describe('DynamoTelemetryTable registering the topics it stores', () => {
  let prefix: string;
  let puts: number;
  let table: DynamoTelemetryTable;
  type DynamoDBDocumentClient = ConstructorParameters<typeof DynamoTelemetryTable>[0];

  /** The real client, counting the puts into the topics table. */
  const counting = (documents: DynamoDBDocumentClient): DynamoDBDocumentClient =>
    ({
      send: (command: { input: { TableName?: string } }) => {
        if (command instanceof PutCommand && command.input.TableName === `${prefix}${TELEMETRY_TABLE_NAMES.topics}`) puts++;
        return documents.send(command as PutCommand);
      },
    }) as unknown as DynamoDBDocumentClient;

  beforeEach(async () => {
    prefix = dynamo.nextPrefix('topics');
    puts = 0;
    const clients = dynamo.clients();
    await ensureTables(clients.client, prefix, TELEMETRY_TABLES);
    table = new DynamoTelemetryTable(counting(clients.documents), prefix);
  });

  const registered = async () =>
    ((await dynamo.clients().documents.send(new ScanCommand({ TableName: `${prefix}${TELEMETRY_TABLE_NAMES.topics}` }))).Items ?? [])
      .map((item) => [item.workspaceId, item.topicKey])
      .sort();

  it('registers each topic under its workspace once per process, before the write resolves', async () => {
    const power = `telemetry/${THING}/power`;
    await table.write([
      { record: aRecord({ document: { value: 1 } }) },
      { record: aRecord({ document: { value: 2 } }) },
      { record: aRecord({ topic: power, deviceEpoch: T0, document: { value: 3 } }) },
      { record: aRecord({ workspaceId: 'ws_other', thingName: 'elsewhere', document: { value: 4 } }) },
    ]);
    await table.write([{ record: aRecord({ topic: power, deviceEpoch: T0, document: { value: 3 } }) }, { record: aRecord() }]);
    expect(await registered()).toEqual([
      [WORKSPACE, `${THING}#telemetry/${THING}`],
      [WORKSPACE, `${THING}#${power}`],
      ['ws_other', 'elsewhere#telemetry/elsewhere'],
    ]);
    expect(puts).toBe(3);
    // Another process registers again: the same items.
    await new DynamoTelemetryTable(dynamo.clients().documents, prefix).write([{ record: aRecord({ receivedAt: T0 + 100 }) }]);
    expect(await registered()).toHaveLength(3);
  });

  it('does not register the topic of a dead letter', async () => {
    await table.write([{ deadLetter: aDeadLetter() }]);
    expect(await registered()).toEqual([]);
  });

  it('fails the write when the registration fails, and registers with the next message', async () => {
    const missing = dynamo.nextPrefix('no-topics');
    const clients = dynamo.clients();
    await ensureTables(clients.client, missing, TELEMETRY_TABLES.filter((definition) => definition.name !== TELEMETRY_TABLE_NAMES.topics));
    const withoutTopics = new DynamoTelemetryTable(clients.documents, missing);
    await expect(withoutTopics.write([{ record: aRecord() }])).rejects.toThrow(/resource not found|non-existent table/i);
    await ensureTables(clients.client, missing, TELEMETRY_TABLES);
    await expect(withoutTopics.write([{ record: aRecord({ receivedAt: T0 + 1 }) }])).resolves.toEqual([{ kind: 'stored', topic: `telemetry/${THING}`, epoch: T0 + 1 }]);
    const { Items = [] } = await clients.documents.send(new ScanCommand({ TableName: `${missing}${TELEMETRY_TABLE_NAMES.topics}` }));
    expect(Items).toEqual([{ workspaceId: WORKSPACE, topicKey: `${THING}#telemetry/${THING}` }]);
  });
});
