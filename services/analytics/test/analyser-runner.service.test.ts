import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnalyserRequest, type AnalysisTelemetry } from '@citus/contracts';
import { createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { ALERT_MIGRATIONS } from '../src/adapters/sqlite/alert.migrations.js';
import { SqliteAnalyserRepository } from '../src/adapters/sqlite/analyser.repository.js';
import { FaceDetectionAnalyser } from '../src/adapters/vendor/analyser-face-detection.adapter.js';
import { PlateRecognitionAnalyser } from '../src/adapters/vendor/analyser-plate-recognition.adapter.js';
import { AnalyserRunner, MAX_CALLS_PER_ANALYSER } from '../src/app/analyser-runner.service.js';
import { eventually, startStandIn, type StandIn } from './support/alert-stand-ins.js';

const WS = 'ws_vision';

// The runner on a real SQLite file and the real vendor adapters, calling a vendor stand-in on 127.0.0.1.
describe('the analyser runner', () => {
  const logged: string[] = [];
  const stored: Array<{ topic: string; payload: AnalysisTelemetry }> = [];
  let dir: string;
  let db: SqliteDatabase;
  let vendor: StandIn;
  let repository: SqliteAnalyserRepository;
  let runner: AnalyserRunner;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-analysers-'));
    db = openDatabase(join(dir, 'alerts.db'), { module: 'alerts', migrations: ALERT_MIGRATIONS });
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logged.push(line) } });
    repository = new SqliteAnalyserRepository(db, logger);
    vendor = await startStandIn();
    runner = new AnalyserRunner(
      {
        analysers: repository,
        secrets: {
          reveal: async (workspaceId, name) => {
            if (name === 'unreadable') throw new Error('the secret cannot be opened with this key');
            return workspaceId === WS && name === 'key' ? 'vendor-key-never-logged' : undefined;
          },
        },
        vendors: { 'plate-recognition': new PlateRecognitionAnalyser(), 'face-detection': new FaceDetectionAnalyser() },
        // The hub's ingest is exercised by the embedded test; here the stored results are just kept.
        sink: { store: async ({ topic, payload }) => void stored.push({ topic, payload }) },
      },
      logger,
    );
    await repository.insert({
      id: 'ana_000000000000000000000001',
      workspaceId: WS,
      definition: AnalyserRequest.parse({ name: 'faces', kind: 'face-detection', endpoint: `${vendor.url}/detect`, secretName: 'key', imageField: 'img', timeoutMs: 2_000 }),
      createdAt: 0,
      updatedAt: 0,
      lastRun: null,
    });
  });
  afterEach(async () => {
    await runner.stop();
    await vendor.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
    stored.length = 0;
  });

  const images = (count: number) => ({
    workspaceId: WS,
    thingName: 'door-1',
    items: Array.from({ length: count }, (_, epoch) => ({ topic: 'telemetry/door-1', epoch, payload: { img: `https://img.example/${epoch}.jpg` } })),
  });

  it(`has at most ${MAX_CALLS_PER_ANALYSER} calls under way per analyser and skips the rest, never queueing a storm`, async () => {
    vendor.answerWith(() => ({ status: 200, body: [{ faceRectangle: { top: 1, left: 2, width: 3, height: 4 } }], delayMs: 300 }));
    await runner.onTelemetry(images(MAX_CALLS_PER_ANALYSER + 3));
    await eventually(() => stored.length, (count) => count === MAX_CALLS_PER_ANALYSER, 'the admitted calls to finish');
    expect(vendor.received).toHaveLength(MAX_CALLS_PER_ANALYSER);
    expect(logged.filter((line) => line.includes('analyser busy: image skipped'))).toHaveLength(3);
    expect(stored[0]).toEqual({
      topic: 'telemetry/door-1/analysis-faces',
      payload: expect.objectContaining({ analyser: 'faces', faces: [{ top: 1, left: 2, width: 3, height: 4 }], count: 1 }),
    });
  });

  it('refuses a vendor answer of the wrong shape and records it', async () => {
    vendor.answerWith(() => ({ status: 200, body: { faces: 'none' } }));
    await runner.onTelemetry(images(1));
    const run = await eventually(async () => (await repository.find(WS, 'ana_000000000000000000000001'))?.lastRun, (last) => !!last, 'a run');
    expect(run).toMatchObject({ status: 'error', error: expect.stringContaining('not of the expected shape') });
    expect(stored).toEqual([]);
    expect(logged.join('\n')).not.toContain('vendor-key-never-logged');
  });

  it('records an unreachable vendor and a missing secret', async () => {
    await vendor.close();
    await runner.onTelemetry(images(1));
    const run = await eventually(async () => (await repository.find(WS, 'ana_000000000000000000000001'))?.lastRun, (last) => !!last, 'a run');
    expect(run).toMatchObject({ status: 'error', error: expect.stringMatching(/^the vendor cannot be reached/) });
    vendor = await startStandIn();
    const other = { ...images(1), workspaceId: 'ws_other' };
    await repository.insert({
      id: 'ana_000000000000000000000002',
      workspaceId: 'ws_other',
      definition: AnalyserRequest.parse({ name: 'faces', kind: 'face-detection', endpoint: `${vendor.url}/detect`, secretName: 'key', imageField: 'img' }),
      createdAt: 0,
      updatedAt: 0,
      lastRun: null,
    });
    await runner.onTelemetry(other);
    const missing = await eventually(async () => (await repository.find('ws_other', 'ana_000000000000000000000002'))?.lastRun, (last) => !!last, 'a run');
    expect(missing).toMatchObject({ status: 'error', error: 'the secret "key" is not set' });
    expect(vendor.received).toEqual([]);
  });

  it('records a run whose call threw (a secret that cannot be opened) as failed', async () => {
    await repository.insert({
      id: 'ana_000000000000000000000003',
      workspaceId: WS,
      definition: AnalyserRequest.parse({ name: 'faces-2', kind: 'face-detection', endpoint: `${vendor.url}/detect`, secretName: 'unreadable', imageField: 'img' }),
      createdAt: 0,
      updatedAt: 0,
      lastRun: null,
    });
    await runner.onTelemetry(images(1));
    const run = await eventually(async () => (await repository.find(WS, 'ana_000000000000000000000003'))?.lastRun, (last) => !!last, 'a run');
    expect(run).toMatchObject({ status: 'error', error: 'the secret cannot be opened with this key' });
  });
});
