import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CHECKPOINT_TABLE_NAME, ensureTables, REGISTRY_TABLES, TELEMETRY_TABLE_NAMES, TELEMETRY_TABLES, type TableDefinition } from '@citus/dynamodb';
import { createService as createDeviceLifecycle, DeviceLifecycleConfig, type DeviceLifecycleService } from '@citus/device-lifecycle';
import { createLogger, EventBus, HealthRegistry, parseConfig, Shutdown } from '@citus/kit';
import { EmbeddedCertificateAuthority } from '@citus/pki';
import { openDatabase } from '@citus/sqlite';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { DEVICES_CONSUMER } from '../src/app/device-feed.indexer.js';
import { SEARCH_CONSUMER } from '../src/app/indexer.service.js';
import { SEARCH_WORKSPACE, startIndexer, waitFor, type RunningIndexer } from './support/indexer-service.fixture.js';

// The indexer with deviceSource 'registry-stream' against DynamoDB Local: devices are declared,
// renamed and deleted through device-lifecycle's service on the DynamoDB registry, on an event bus
// of its own. The indexer hears none of its events: what it indexes came from the registry table's
// stream. The hub's part (creating the telemetry tables) is done here.
const dynamo = useDynamoDbLocal();
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let prefix: string;
let dataDir: string;
let ca: EmbeddedCertificateAuthority;
const running: RunningIndexer[] = [];
const shutdowns: Shutdown[] = [];

beforeAll(async () => {
  ca = await EmbeddedCertificateAuthority.loadOrCreate(mkdtempSync(join(tmpdir(), 'citus-registry-stream-ca-')));
});

beforeEach(async () => {
  prefix = dynamo.nextPrefix('registry-stream');
  dataDir = mkdtempSync(join(tmpdir(), 'citus-registry-stream-'));
  await ensureTables(dynamo.clients().client, prefix, TELEMETRY_TABLES);
});

afterEach(async () => {
  for (const indexer of running.splice(0)) await indexer.stop();
  for (const shutdown of shutdowns.splice(0)) await shutdown.run('test done');
  rmSync(dataDir, { recursive: true, force: true });
});

const dynamoEnv = () => ({
  AWS_REGION: 'eu-west-1',
  CITUS_DYNAMODB_ENDPOINT: dynamo.endpoint(),
  CITUS_DYNAMODB_TABLE_PREFIX: prefix,
  CITUS_REGISTRY_STORE: 'dynamodb',
});

/** device-lifecycle as a process of its own would run it: its own bus, the DynamoDB registry (created on start). */
async function startRegistry(): Promise<DeviceLifecycleService> {
  const shutdown = new Shutdown(logger);
  shutdowns.push(shutdown);
  const registry = createDeviceLifecycle({
    logger,
    events: new EventBus(logger),
    health: new HealthRegistry(),
    shutdown,
    dataDir: mkdtempSync(join(dataDir, 'registry-')),
    authenticate: (_req, _res, next) => next(),
    config: parseConfig(DeviceLifecycleConfig, dynamoEnv()),
    ca,
    mqttPort: () => 8883,
  });
  await registry.start?.();
  return registry;
}

async function start(): Promise<RunningIndexer> {
  const indexer = await startIndexer({ env: { ...dynamoEnv(), CITUS_TELEMETRY_STORE: 'dynamodb' }, dataDir, deviceSource: 'registry-stream' });
  running.push(indexer);
  return indexer;
}

async function stop(indexer: RunningIndexer): Promise<void> {
  running.splice(running.indexOf(indexer), 1);
  await indexer.stop();
}

/** An item shaped as the hub's DynamoDB telemetry table writes it. */
async function putTelemetry(thingName: string, epoch: number, document: Record<string, unknown>): Promise<void> {
  const topic = `telemetry/${thingName}`;
  const Item = { topic, epoch, thingKey: `${SEARCH_WORKSPACE}#${thingName}`, seriesKey: `${String(epoch).padStart(16, '0')}#${topic}` };
  await dynamo.clients().documents.send(
    new PutCommand({
      TableName: `${prefix}${TELEMETRY_TABLE_NAMES.telemetry}`,
      Item: { ...Item, workspaceId: SEARCH_WORKSPACE, thingName, payload: JSON.stringify(document), receivedAt: epoch },
    }),
  );
}

/** The names of the devices a search finds, sorted. */
async function devicesFound(indexer: RunningIndexer, q: string): Promise<string[]> {
  const { body } = await indexer.search({ q, kind: 'device', limit: '100' });
  return (body.items ?? []).map((hit) => (hit.kind === 'device' ? hit.device.name : hit.kind)).sort();
}

async function foundEventually(indexer: RunningIndexer, q: string, names: string[]): Promise<void> {
  let found: string[] = [];
  const matches = async () => JSON.stringify((found = await devicesFound(indexer, q))) === JSON.stringify(names);
  await waitFor(matches, `a search for "${q}" to find ${names.join(', ') || 'nothing'}`).catch((error: Error) => {
    throw new Error(`${error.message}; it finds ${found.join(', ') || 'nothing'}`);
  });
}

/** Device rows straight from search.db: all of them and distinct keys, not what a search ranks. */
function deviceRows(): { documents: number; distinctKeys: number } {
  const db = openDatabase(join(dataDir, 'search.db'), { module: 'indexer-test-reader', migrations: [] });
  try {
    return {
      documents: db.prepare("SELECT count(*) FROM search_documents WHERE kind = 'device'").pluck().get() as number,
      distinctKeys: db.prepare("SELECT count(DISTINCT doc_key) FROM search_documents WHERE kind = 'device'").pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

describe('the indexer with devices from the registry stream (DynamoDB Local)', () => {
  it('finds declared devices, sees a rename, loses a deleted device, without a single registry event', async () => {
    const registry = await startRegistry();
    const boiler = await registry.devices.declare(SEARCH_WORKSPACE, { name: 'Cellar boiler', type: 'gas', location: 'Cellar' });
    const indexer = await start();
    const pump = await registry.devices.declare(SEARCH_WORKSPACE, { name: 'Garden pump boiler' });
    await foundEventually(indexer, 'boiler', ['Cellar boiler', 'Garden pump boiler']);
    expect((await indexer.search({ q: 'cellar', kind: 'device' })).body.items).toEqual([
      { kind: 'device', score: expect.any(Number), device: { thingName: boiler.thingName, name: 'Cellar boiler', type: 'gas', location: 'Cellar' } },
    ]);

    await registry.devices.update(SEARCH_WORKSPACE, boiler.id, { name: 'Basement heater' });
    await registry.devices.delete(SEARCH_WORKSPACE, pump.id);
    await foundEventually(indexer, 'heater', ['Basement heater']);
    await foundEventually(indexer, 'pump', []);
    // Thing names are made from the first name: the renamed device is still found by it, under its new name only.
    expect(await devicesFound(indexer, 'boiler')).toEqual(['Basement heater']);
    expect(deviceRows()).toEqual({ documents: 1, distinctKeys: 1 });
    expect(indexer.module.indexer.stats()).toMatchObject({ devicesUpserted: 3, devicesRemoved: 1 });

    // The device feed's checkpoints are its own, beside the telemetry feed's in the same table.
    await putTelemetry(boiler.thingName, Date.UTC(2025, 0, 1, 12), { status: 'flame out' });
    await waitFor(async () => (await indexer.search({ q: 'flame', kind: 'telemetry' })).body.items?.length === 1, 'the telemetry item searchable');
    const consumers = async () => {
      const { Items } = await dynamo.clients().documents.send(new ScanCommand({ TableName: `${prefix}${CHECKPOINT_TABLE_NAME}`, ConsistentRead: true }));
      return [...new Set(Items?.map((item) => item.consumer as string))].sort();
    };
    await waitFor(async () => (await consumers()).length === 2, 'a checkpoint of each feed');
    expect(await consumers()).toEqual([SEARCH_CONSUMER, DEVICES_CONSUMER].sort());
  });

  it('resumes from its checkpoint after a restart: what changed while it was stopped is indexed, nothing is handed twice', async () => {
    const registry = await startRegistry();
    const kept = await registry.devices.declare(SEARCH_WORKSPACE, { name: 'Attic boiler' });
    const renamed = await registry.devices.declare(SEARCH_WORKSPACE, { name: 'Cellar boiler' });
    const removed = await registry.devices.declare(SEARCH_WORKSPACE, { name: 'Garage boiler' });
    const first = await start();
    await foundEventually(first, 'boiler', ['Attic boiler', 'Cellar boiler', 'Garage boiler']);
    expect(first.module.indexer.stats()).toMatchObject({ devicesUpserted: 3, devicesRemoved: 0 });
    await stop(first);

    await registry.devices.update(SEARCH_WORKSPACE, renamed.id, { name: 'Basement heater' });
    await registry.devices.delete(SEARCH_WORKSPACE, removed.id);
    await registry.devices.declare(SEARCH_WORKSPACE, { name: 'Shed heater' });
    const second = await start();
    await foundEventually(second, 'heater', ['Basement heater', 'Shed heater']);
    await foundEventually(second, 'garage', []);
    // Thing names are made from the first name: the renamed device is still found by it, under its new name only.
    expect(await devicesFound(second, 'boiler')).toEqual(['Attic boiler', 'Basement heater']);
    // A little longer, to see that nothing more arrives (a replay from the stream's start would).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(second.module.indexer.stats()).toMatchObject({ devicesUpserted: 2, devicesRemoved: 1 });
    expect(deviceRows()).toEqual({ documents: 3, distinctKeys: 3 });
    expect(await registry.devices.get(SEARCH_WORKSPACE, kept.id)).toMatchObject({ name: 'Attic boiler' });
  });
});

describe('the indexer refusing the registry stream on DynamoDB', () => {
  it('when the registry table does not exist', async () => {
    await expect(start()).rejects.toThrow(`the registry table ${prefix}registry does not exist: the device lifecycle creates it`);
  });

  it('when the registry table has no stream (made by an older version, not started since)', async () => {
    const { StreamSpecification: _stream, ...older } = REGISTRY_TABLES[0] as TableDefinition;
    await ensureTables(dynamo.clients().client, prefix, [older]);
    await expect(start()).rejects.toThrow(`the registry table ${prefix}registry has no stream: the indexer's registry-stream device source needs NEW_AND_OLD_IMAGES`);
  });

  it('starts once device-lifecycle has enabled the stream on that older table', async () => {
    const { StreamSpecification: _stream, ...older } = REGISTRY_TABLES[0] as TableDefinition;
    await ensureTables(dynamo.clients().client, prefix, [older]);
    const registry = await startRegistry();
    const indexer = await start();
    await registry.devices.declare(SEARCH_WORKSPACE, { name: 'Cellar boiler' });
    await foundEventually(indexer, 'boiler', ['Cellar boiler']);
  });
});
