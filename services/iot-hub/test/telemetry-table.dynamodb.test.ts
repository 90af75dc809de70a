import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, TELEMETRY_TABLE_NAMES, TELEMETRY_TABLES, TTL_ATTRIBUTE } from '@citus/dynamodb';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { DynamoTelemetryTable } from '../src/adapters/dynamodb/telemetry.table.js';
import { thingKey } from '../src/adapters/dynamodb/telemetry.keys.js';
import { telemetryTableContract } from './support/telemetry-table.contract.js';
import { aDeadLetter, aRecord, THING, WORKSPACE } from './support/telemetry-fixture.js';

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
