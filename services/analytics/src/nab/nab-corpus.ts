import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One NAB data file: `<category>/<file>.csv` with its rows' times (epoch ms) and values. */
export interface NabSeries {
  /** The path under the data dir, as the labels name it: `<category>/<file>.csv`. */
  name: string;
  timestamps: string[];
  epochs: number[];
  values: number[];
}

/** NAB's timestamps (`2014-04-10 07:15:00`, labels with `.000000`) are UTC wall-clock times. */
export function parseNabTime(text: string): number {
  const epoch = Date.parse(`${text.trim().replace(' ', 'T').replace(/\.\d+$/, '')}Z`);
  if (Number.isNaN(epoch)) throw new Error(`not a NAB timestamp: ${text}`);
  return epoch;
}

/** Every `<category>/<file>.csv` under `dir`, sorted by name. */
export function listDataFiles(dir: string): string[] {
  const names: string[] = [];
  for (const category of readdirSync(dir).sort()) {
    if (!statSync(join(dir, category)).isDirectory()) continue;
    for (const file of readdirSync(join(dir, category)).sort()) if (file.endsWith('.csv')) names.push(`${category}/${file}`);
  }
  return names;
}

/** Reads a `timestamp,<column>` CSV: its first column as text, its second as numbers. */
export function readTwoColumnCsv(path: string, column: string): { timestamps: string[]; numbers: number[] } {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines.shift()?.split(',').map((cell) => cell.trim());
  if (header?.[0] !== 'timestamp' || header[1] !== column) throw new Error(`${path}: expected the header "timestamp,${column}"`);
  const timestamps: string[] = [];
  const numbers: number[] = [];
  lines.forEach((line, i) => {
    const [time, text] = line.split(',');
    const number = Number(text);
    if (time === undefined || text === undefined || !Number.isFinite(number)) throw new Error(`${path}:${i + 2}: not "timestamp,number"`);
    timestamps.push(time.trim());
    numbers.push(number);
  });
  return { timestamps, numbers };
}

export function readSeries(dataDir: string, name: string): NabSeries {
  const { timestamps, numbers } = readTwoColumnCsv(join(dataDir, name), 'value');
  return { name, timestamps, epochs: timestamps.map(parseNabTime), values: numbers };
}

/** `combined_windows.json`: per file, its windows as `[start, end]` timestamps. */
export function readLabels(path: string): Map<string, Array<[string, string]>> {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${path}: not a JSON object`);
  const labels = new Map<string, Array<[string, string]>>();
  for (const [name, windows] of Object.entries(parsed)) {
    const valid = Array.isArray(windows) && windows.every((w) => Array.isArray(w) && w.length === 2 && w.every((t) => typeof t === 'string'));
    if (!valid) throw new Error(`${path}: the windows of ${name} are not [start, end] pairs of timestamps`);
    labels.set(name, windows as Array<[string, string]>);
  }
  return labels;
}

/** Windows as inclusive row-index ranges: from the first row at or after the start to the last at or before the end. */
export function windowRows(epochs: number[], windows: Array<[string, string]>): Array<[number, number]> {
  return windows
    .map(([start, end]): [number, number] => {
      const from = parseNabTime(start);
      const to = parseNabTime(end);
      const first = epochs.findIndex((epoch) => epoch >= from);
      let last = -1;
      for (let i = epochs.length - 1; i >= 0; i--)
        if (epochs[i]! <= to) {
          last = i;
          break;
        }
      return [first, last];
    })
    .filter(([first, last]) => first >= 0 && last >= first);
}
