import { createLogger, parseConfig } from '@citus/kit';
import { AnalyticsConfig } from '../src/config.js';
import { openDetection } from '../src/detection.module.js';
import { runDetection } from '../src/detection.runner.js';
import { storedTelemetryOf } from '../src/domain/stored-telemetry.rules.js';
import type { StoredMessage } from '../src/domain/telemetry-points.rules.js';
import { removeDir, tempDataDir, TelemetryWriter, THINGS, waitFor } from './support/analytics.fixture.js';

const message = (workspaceId: string, thingName: string, epoch: number, payload: string): StoredMessage => ({
  workspaceId,
  thingName,
  topic: `telemetry/${thingName}`,
  epoch,
  payload,
});

describe('stored telemetry from the change feed, in the shape of telemetry.stored', () => {
  it('groups a batch per workspace and thing, in feed order, leaving out payloads that are not objects', () => {
    const batch = [
      message('ws_a', 'pump-1', 1, '{"t":1}'),
      message('ws_b', 'pump-1', 2, '{"t":2}'),
      message('ws_a', 'pump-2', 3, '[1,2]'),
      message('ws_a', 'pump-1', 4, '{"t":4}'),
      message('ws_a', 'pump-2', 5, 'not json'),
    ];
    expect(storedTelemetryOf(batch)).toEqual([
      {
        workspaceId: 'ws_a',
        thingName: 'pump-1',
        items: [
          { topic: 'telemetry/pump-1', epoch: 1, payload: { t: 1 } },
          { topic: 'telemetry/pump-1', epoch: 4, payload: { t: 4 } },
        ],
      },
      { workspaceId: 'ws_b', thingName: 'pump-1', items: [{ topic: 'telemetry/pump-1', epoch: 2, payload: { t: 2 } }] },
    ]);
  });
});

describe('the detection runner hands every batch on', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = tempDataDir()));
  afterEach(() => removeDir(dataDir));

  it('after detection, retrying the batch when the hand-over fails, without folding its points twice', async () => {
    const logger = createLogger({ level: 'silent' });
    const writer = new TelemetryWriter(dataDir);
    const config = parseConfig(AnalyticsConfig, {});
    const module = openDetection({
      dataDir,
      things: { workspaceOfThing: (thingName) => THINGS.get(thingName) },
      logger,
      maxLiveSeries: 100,
      maxSeriesPerThing: 10,
      onAnomaly: () => undefined,
    });
    const handed: Array<{ points: number; epochs: number[] }> = [];
    let failures = 1;
    const running = await runDetection({
      config,
      dataDir,
      db: module.db,
      detection: module.detection,
      logger,
      alsoHandle: (messages) => {
        // Detection has run by the time the batch is handed on.
        handed.push({ points: module.detection.stats().points, epochs: messages.map((m) => m.epoch) });
        if (failures-- > 0) return Promise.reject(new Error('alert store busy (injected)'));
        return Promise.resolve();
      },
    });
    try {
      writer.write('pump-1', [1, 2, 3].map((i) => ({ epoch: 1_000 * i, payload: { temperature: 20 + i } })));
      await waitFor(() => handed.length >= 2, 'the batch to be handed on again after the failure');
      const epochs = [1_000, 2_000, 3_000];
      expect(handed.slice(0, 2)).toEqual([
        { points: 3, epochs },
        { points: 3, epochs },
      ]);
      // The retry fed detection the same points, which it skipped.
      expect(module.detection.stats()).toEqual(expect.objectContaining({ points: 3, skipped: 3 }));
    } finally {
      await running.stop();
      writer.close();
      module.db.close();
    }
  });
});
