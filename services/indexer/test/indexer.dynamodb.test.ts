import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { CHECKPOINT_TABLE_NAME, ensureTables, TELEMETRY_TABLE_NAMES, TELEMETRY_TABLES, type TableDefinition } from '@citus/dynamodb';
import { openDatabase } from '@citus/sqlite';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { SEARCH_WORKSPACE, startIndexer, waitFor, type RunningIndexer } from './support/indexer-service.fixture.js';

// The indexer service with CITUS_TELEMETRY_STORE=dynamodb against DynamoDB Local (which serves
// Streams too), into the FTS5 index on a real file: the hub's part (creating the tables, writing
// telemetry items) is done here with items of the hub's shape.
const T0 = Date.UTC(2025, 0, 1, 12);
const dynamo = useDynamoDbLocal();
let prefix: string;
let dataDir: string;
const running: RunningIndexer[] = [];

beforeEach(() => {
  prefix = dynamo.nextPrefix('indexer');
  dataDir = mkdtempSync(join(tmpdir(), 'citus-indexer-dynamodb-'));
});

afterEach(async () => {
  for (const indexer of running.splice(0)) await indexer.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const env = () => ({
  CITUS_TELEMETRY_STORE: 'dynamodb',
  AWS_REGION: 'eu-west-1',
  CITUS_DYNAMODB_ENDPOINT: dynamo.endpoint(),
  CITUS_DYNAMODB_TABLE_PREFIX: prefix,
});

async function start(): Promise<RunningIndexer> {
  const indexer = await startIndexer({ env: env(), dataDir });
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
  await dynamo.clients().documents.send(
    new PutCommand({
      TableName: `${prefix}${TELEMETRY_TABLE_NAMES.telemetry}`,
      Item: {
        topic,
        epoch,
        thingKey: `${SEARCH_WORKSPACE}#${thingName}`,
        seriesKey: `${String(epoch).padStart(16, '0')}#${topic}`,
        workspaceId: SEARCH_WORKSPACE,
        thingName,
        payload: JSON.stringify(document),
        receivedAt: epoch,
      },
    }),
  );
}

async function putSeries(thingName: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) await putTelemetry(thingName, T0 + i * 1000, { label: 'Leakage', unit: 'PPM', value: i });
}

/** Counts straight from search.db: document rows and distinct ids, not what a search ranks. */
function indexContents(): { documents: number; distinctIds: number } {
  const db = openDatabase(join(dataDir, 'search.db'), { module: 'indexer-test-reader', migrations: [] });
  try {
    return {
      documents: db.prepare("SELECT count(*) FROM search_documents WHERE kind = 'telemetry'").pluck().get() as number,
      distinctIds: db.prepare("SELECT count(DISTINCT doc_key) FROM search_documents WHERE kind = 'telemetry'").pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

describe('the indexer service on the DynamoDB telemetry stream (DynamoDB Local)', () => {
  beforeEach(async () => {
    await ensureTables(dynamo.clients().client, prefix, TELEMETRY_TABLES);
  });

  it('makes telemetry items searchable through GET /api/v1/search, and is ready once subscribed', async () => {
    await putTelemetry('boiler-1', T0, { label: 'Leakage', unit: 'PPM', value: 412.5 });
    const { health, search, module } = await start();
    expect(health.report().body.parts).toMatchObject({ indexer: true });
    await putTelemetry('boiler-2', T0 + 1, { status: 'door open in the cellar' });

    await waitFor(async () => (await search({ q: 'cellar' })).body.items?.length === 1, 'the second item searchable');
    expect((await search({ q: 'leakage' })).body).toEqual({
      items: [{ kind: 'telemetry', score: expect.any(Number), telemetry: { thingName: 'boiler-1', topic: 'telemetry/boiler-1', epoch: T0, label: 'Leakage', unit: 'PPM', value: 412.5 } }],
    });
    expect(module.indexer.stats()).toMatchObject({ records: 2, failedBatches: 0 });
    // The checkpoints go to DynamoDB, in a table created on start; saved just after the batch.
    const checkpoints = async () =>
      (await dynamo.clients().client.send(new ScanCommand({ TableName: `${prefix}${CHECKPOINT_TABLE_NAME}`, Select: 'COUNT' }))).Count ?? 0;
    await waitFor(async () => (await checkpoints()) > 0, 'a checkpoint in DynamoDB');
  });

  it('resumes from its DynamoDB checkpoint after a restart: every item indexed once, none handed twice', async () => {
    await putSeries('boiler-1', 0, 25);
    const first = await start();
    await waitFor(() => first.module.indexer.stats().records === 25, 'the first run to index every item');
    await stop(first);

    await putSeries('boiler-1', 25, 10);
    const second = await start();
    await waitFor(() => indexContents().documents >= 35, 'the items written while stopped');
    // A little longer, to see that nothing more arrives (a replay from the stream's start would).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(second.module.indexer.stats().records).toBe(10);
    expect(indexContents()).toEqual({ documents: 35, distinctIds: 35 });
    const page = await second.search({ q: 'leakage', limit: '100' });
    expect(page.body.items).toHaveLength(35);
  });
});

describe('the indexer service refusing to start on DynamoDB', () => {
  it('when the telemetry table does not exist', async () => {
    await expect(start()).rejects.toThrow(`the telemetry table ${prefix}telemetry does not exist`);
  });

  it('when the telemetry table has no stream', async () => {
    const { StreamSpecification: _stream, ...withoutStream } = TELEMETRY_TABLES[0] as TableDefinition;
    await ensureTables(dynamo.clients().client, prefix, [withoutStream]);
    await expect(start()).rejects.toThrow(`the telemetry table ${prefix}telemetry has no stream: enable DynamoDB Streams on it (view type NEW_IMAGE)`);
  });

  it('when the stream carries only keys', async () => {
    const definition = { ...(TELEMETRY_TABLES[0] as TableDefinition), StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' as const } };
    await ensureTables(dynamo.clients().client, prefix, [definition]);
    await expect(start()).rejects.toThrow(/is KEYS_ONLY: the indexer needs NEW_IMAGE/);
  });
});
