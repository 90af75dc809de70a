import { statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_DETECTOR, openDetection, type SeriesDetector } from '@citus/analytics';
import { createLogger } from '@citus/kit';
import { repoPath } from '../support/paths.js';
import { makeTempDir } from '../support/temp-dir.js';
import { parseAnalyticsOptions, type AnalyticsOptions } from './analytics-options.js';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const WORKSPACE = 'ws_bench';
/** The budget: CPU per point per series. */
const CPU_GOAL_US = 20;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live memory: the JS heap plus typed arrays' backing stores, after a full collection. */
function liveBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** A series' value at step `step`: a daily wave with its own level and swing, noise, and a rare spike. */
function makeSignal() {
  let state = 0x2545f491;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  return (series: number, step: number): number => {
    const swing = 5 + (series % 7);
    const spike = random() < 1 / 2000 ? 10 * swing : 0;
    return 20 + (series % 50) + swing * Math.sin((2 * Math.PI * (step + series)) / 1440) + (random() - 0.5) * 2 + spike;
  };
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

interface DetectorFigures {
  points: number;
  cpuMicrosPerPoint: number;
  bytesPerSeries: number;
  snapshotBytes: number;
}

/** The default detector alone: `series` of them live, each fed `points` points round-robin. */
function measureDetectors(options: AnalyticsOptions): DetectorFigures {
  const signal = makeSignal();
  const before = liveBytes();
  const detectors: SeriesDetector[] = Array.from({ length: options.series }, () => DEFAULT_DETECTOR.create());
  const started = process.cpuUsage();
  let sink = 0;
  for (let step = 0; step < options.points; step++) {
    const epoch = T0 + step * MINUTE;
    for (let s = 0; s < detectors.length; s++) sink += detectors[s]!.update(epoch, signal(s, step));
  }
  const cpu = cpuMicros(started);
  const bytes = liveBytes() - before;
  if (Number.isNaN(sink)) throw new Error('a detector scored NaN');
  const points = options.series * options.points;
  return {
    points,
    cpuMicrosPerPoint: cpu / points,
    bytesPerSeries: bytes / options.series,
    snapshotBytes: JSON.stringify(detectors[0]!.snapshot()).length,
  };
}

interface ServiceFigures {
  points: number;
  cpuMicrosPerPoint: number;
  cpuMicrosPerPointWithoutSaves: number;
  saves: number;
  saveMillisPerSeries: number;
  anomalies: number;
  dbBytesPerSeries: number;
}

/** The service's detection loop: telemetry messages in change-feed batches, states saved every `saveEvery` points per series. */
function measureService(options: AnalyticsOptions): ServiceFigures {
  const dir = makeTempDir('citus-bench-analytics-');
  const signal = makeSignal();
  const things = Math.ceil(options.series / options.fields);
  let anomalies = 0;
  const module = openDetection({
    dataDir: dir.path,
    things: { workspaceOfThing: () => WORKSPACE },
    logger: createLogger({ level: 'silent' }),
    maxLiveSeries: options.series,
    maxSeriesPerThing: options.fields,
    onAnomaly: () => anomalies++,
  });
  let saveMicros = 0;
  let saves = 0;
  const started = process.cpuUsage();
  try {
    for (let step = 0; step < options.points; step++) {
      const epoch = T0 + step * MINUTE;
      for (let first = 0; first < things; first += options.batch) {
        const batch = [];
        for (let t = first; t < Math.min(things, first + options.batch); t++) {
          const payload: Record<string, number> = {};
          for (let f = 0; f < options.fields; f++) payload[`f${f}`] = signal(t * options.fields + f, step);
          batch.push({ topic: `telemetry/thing-${t}`, epoch, workspaceId: WORKSPACE, thingName: `thing-${t}`, payload: JSON.stringify(payload) });
        }
        void module.detection.handle(batch);
      }
      if ((step + 1) % options.saveEvery === 0 || step + 1 === options.points) {
        const saveStarted = process.cpuUsage();
        module.detection.saveStates();
        saveMicros += cpuMicros(saveStarted);
        saves++;
      }
    }
    const cpu = cpuMicros(started);
    const stats = module.detection.stats();
    if (stats.liveSeries !== things * options.fields) throw new Error(`expected ${things * options.fields} live series, saw ${stats.liveSeries}`);
    module.db.pragma('wal_checkpoint(TRUNCATE)');
    const dbBytes = statSync(join(dir.path, 'analytics.db')).size;
    return {
      points: stats.points,
      cpuMicrosPerPoint: cpu / stats.points,
      cpuMicrosPerPointWithoutSaves: (cpu - saveMicros) / stats.points,
      saves,
      saveMillisPerSeries: saveMicros / 1000 / saves / stats.liveSeries,
      anomalies,
      dbBytesPerSeries: dbBytes / stats.liveSeries,
    };
  } finally {
    module.db.close();
    dir.remove();
  }
}

export async function runAnalyticsBenchmark(args: string[]): Promise<void> {
  const options = parseAnalyticsOptions(args);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`analytics: ${options.series} live series of the ${DEFAULT_DETECTOR.name} detector, ${options.points} points each`);
  log('detector alone ...');
  const detector = measureDetectors(options);
  log(`  CPU per point         ${detector.cpuMicrosPerPoint.toFixed(2)} µs   (${detector.points.toLocaleString('en')} points)`);
  log(`  memory per series     ${(detector.bytesPerSeries / 1024).toFixed(1)} KiB live, ${(detector.snapshotBytes / 1024).toFixed(1)} KiB saved (JSON)`);
  log(`service loop (telemetry batches of ${options.batch} messages x ${options.fields} fields, states saved every ${options.saveEvery} points per series) ...`);
  const service = measureService(options);
  log(`  CPU per point         ${service.cpuMicrosPerPoint.toFixed(2)} µs with state saves, ${service.cpuMicrosPerPointWithoutSaves.toFixed(2)} µs without`);
  log(`  state saves           ${service.saves}, ${service.saveMillisPerSeries.toFixed(3)} ms CPU per series saved`);
  log(`  analytics.db          ${(service.dbBytesPerSeries / 1024).toFixed(1)} KiB per series; ${service.anomalies} anomalies`);
  const met = service.cpuMicrosPerPoint <= CPU_GOAL_US && detector.cpuMicrosPerPoint <= CPU_GOAL_US;
  log(`goal: <= ${CPU_GOAL_US} µs CPU per point per series with ${options.series} series live: ${met ? 'MET' : 'MISSED'}`);
  mkdirSync(repoPath('bench-results'), { recursive: true });
  const file = repoPath('bench-results', 'analytics.json');
  writeFileSync(file, `${JSON.stringify({ options, detector, service, goalMicrosPerPoint: CPU_GOAL_US, met }, null, 2)}\n`);
  log(`written ${relative(process.cwd(), file)}`);
  if (!met) process.exitCode = 1;
  return Promise.resolve();
}
