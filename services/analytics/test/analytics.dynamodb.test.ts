import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CHECKPOINT_TABLE_NAME, ensureTables, TELEMETRY_TABLE_NAMES, TELEMETRY_TABLES } from '@citus/dynamodb';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { calmWithSpike, removeDir, startAnalytics, tempDataDir, waitFor, WORKSPACE, type RunningAnalytics } from './support/analytics.fixture.js';

// The analytics service with CITUS_TELEMETRY_STORE=dynamodb against DynamoDB Local (which serves
// Streams too): the hub's part (the tables, telemetry items of its shape) is done here.
const T0 = Date.UTC(2025, 0, 1, 12);
const dynamo = useDynamoDbLocal();
let prefix: string;
let dataDir: string;
const running: RunningAnalytics[] = [];

beforeEach(async () => {
  prefix = dynamo.nextPrefix('analytics');
  dataDir = tempDataDir();
  await ensureTables(dynamo.clients().client, prefix, TELEMETRY_TABLES);
});

afterEach(async () => {
  for (const service of running.splice(0)) await service.stop();
  removeDir(dataDir);
});

async function start(): Promise<RunningAnalytics> {
  const service = await startAnalytics(dataDir, {
    CITUS_TELEMETRY_STORE: 'dynamodb',
    AWS_REGION: 'eu-west-1',
    CITUS_DYNAMODB_ENDPOINT: dynamo.endpoint(),
    CITUS_DYNAMODB_TABLE_PREFIX: prefix,
  });
  running.push(service);
  return service;
}

/** Items shaped as the hub's DynamoDB telemetry table writes them. */
async function putTelemetry(thingName: string, points: Array<{ epoch: number; payload: unknown }>): Promise<void> {
  const topic = `telemetry/${thingName}`;
  for (const { epoch, payload } of points) {
    await dynamo.clients().documents.send(
      new PutCommand({
        TableName: `${prefix}${TELEMETRY_TABLE_NAMES.telemetry}`,
        Item: {
          topic,
          epoch,
          thingKey: `${WORKSPACE}#${thingName}`,
          seriesKey: `${String(epoch).padStart(16, '0')}#${topic}`,
          workspaceId: WORKSPACE,
          thingName,
          payload: JSON.stringify(payload),
          receivedAt: epoch,
        },
      }),
    );
  }
}

describe('the analytics service on the DynamoDB telemetry stream (DynamoDB Local)', () => {
  it('scores the stream, resumes from its own checkpoint after a restart, and folds no point twice', async () => {
    const series = calmWithSpike(40, 30, T0);
    const first = await start();
    await first.request('PUT', '/anomalies/settings', { body: { detector: 'windowed-gaussian', threshold: 0, enabled: true } });
    await putTelemetry('pump-1', series.slice(0, 20));
    await waitFor(() => first.module.detection.stats().points === 20, 'the first half to be scored', 30_000);
    const checkpoints = async () =>
      (await dynamo.clients().documents.send(new ScanCommand({ TableName: `${prefix}${CHECKPOINT_TABLE_NAME}` }))).Items?.map((item) => item.consumer as string);
    // The position is held back until the detector states are saved: at the latest, at stop.
    await first.stop();
    expect(await checkpoints()).toContain('analytics');

    await putTelemetry('pump-1', series.slice(20));
    const second = await start();
    await waitFor(() => second.module.detection.stats().points === 20, 'the second half to be scored', 30_000);
    // A little longer: a replay from the stream's start would be skipped, and counted as such.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(second.module.detection.stats()).toEqual(expect.objectContaining({ points: 20 }));
    const page = await second.request<{ items: Array<{ epoch: number; value: number }> }>('GET', '/anomalies?limit=1000');
    expect(page.body.items.map((a) => a.epoch)).toEqual(series.map((p) => p.epoch).reverse());
    expect(page.body.items.find((a) => a.epoch === T0 + 30_000)?.value).toBe(100);
  });
});
