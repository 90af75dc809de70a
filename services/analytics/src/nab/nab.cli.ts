import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DETECTOR, detectorKind, DETECTOR_NAMES } from '../domain/detectors/detector.registry.js';
import { listDataFiles, readLabels, readSeries, readTwoColumnCsv, windowRows } from './nab-corpus.js';
import { optimizeCorpus, PROFILES, type ProfileName, type ScoredFile } from './nab-scorer.js';

const USAGE = `usage:
  nab run --data <dir> --out <dir> [--detector <name>]
      scores every <category>/<file>.csv under --data with the detector the analytics service
      runs (default: ${DEFAULT_DETECTOR.name}; others: ${DETECTOR_NAMES.join(', ')}) and writes
      <out>/<category>/<file>.csv with the columns timestamp,anomaly_score
  nab score --results <dir> --data <dir> --labels <file>
      prints the normalised standard, reward_low_FP_rate and reward_low_FN_rate scores, each at
      the threshold that maximises it over the files`;

class UsageError extends Error {}

function run(args: string[]): void {
  const { values } = parseArgs({ args, options: { data: { type: 'string' }, out: { type: 'string' }, detector: { type: 'string' } } });
  if (!values.data || !values.out) throw new UsageError('nab run needs --data and --out');
  const kind = detectorKind(values.detector ?? DEFAULT_DETECTOR.name);
  if (!kind) throw new UsageError(`unknown detector "${values.detector}"; known: ${DETECTOR_NAMES.join(', ')}`);
  const names = listDataFiles(values.data);
  if (names.length === 0) throw new UsageError(`no <category>/<file>.csv under ${values.data}`);
  names.forEach((name, i) => {
    const series = readSeries(values.data!, name);
    // A fresh detector per file: NAB scores each series on its own, as the service does per series.
    const detector = kind.create();
    const rows = series.values.map((value, row) => `${series.timestamps[row]},${detector.update(series.epochs[row]!, value)}`);
    const path = join(values.out!, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `timestamp,anomaly_score\n${rows.join('\n')}\n`);
    process.stderr.write(`[${i + 1}/${names.length}] ${name}: ${rows.length} rows\n`);
  });
}

function score(args: string[]): void {
  const { values } = parseArgs({ args, options: { results: { type: 'string' }, data: { type: 'string' }, labels: { type: 'string' } } });
  if (!values.results || !values.data || !values.labels) throw new UsageError('nab score needs --results, --data and --labels');
  const labels = readLabels(values.labels);
  const files: ScoredFile[] = listDataFiles(values.data).map((name) => {
    const series = readSeries(values.data!, name);
    const results = readTwoColumnCsv(join(values.results!, name), 'anomaly_score');
    if (results.timestamps.length !== series.timestamps.length || results.timestamps.some((t, i) => t !== series.timestamps[i]))
      throw new Error(`${name}: the results' timestamps differ from the data's`);
    const windows = labels.get(name);
    if (!windows) throw new Error(`${name}: no labels for this file in ${values.labels}`);
    return { name, scores: results.numbers, windows: windowRows(series.epochs, windows) };
  });
  for (const profile of Object.keys(PROFILES) as ProfileName[]) {
    const result = optimizeCorpus(files, PROFILES[profile]);
    process.stdout.write(`${profile.padEnd(20)} ${result.normalized.toFixed(2).padStart(7)}   (threshold ${result.threshold}, raw ${result.raw.toFixed(3)})\n`);
  }
  process.stdout.write(`files ${files.length}, windows ${files.reduce((n, f) => n + f.windows.length, 0)}\n`);
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'run') run(rest);
  else if (command === 'score') score(rest);
  else throw new UsageError(command ? `unknown command "${command}"` : 'no command');
} catch (error) {
  const usage = error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
  process.stderr.write(`nab: ${(error as Error).message}\n${usage ? `${USAGE}\n` : ''}`);
  process.exitCode = 2;
}
