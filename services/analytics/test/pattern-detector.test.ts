import { join } from 'node:path';
import { CountTable, hashParts } from '../src/domain/detectors/count-table.js';
import { DEFAULT_DETECTOR, openDetector } from '../src/domain/detectors/detector.registry.js';
import { pattern, PATTERN_PARAMS } from '../src/domain/detectors/pattern.detector.js';
import { windowedGaussian } from '../src/domain/detectors/windowed-gaussian.detector.js';
import { readSeries } from '../src/nab/nab-corpus.js';

const NAB_DATA = join(import.meta.dirname, 'fixtures/nab/data');
const MINUTE = 60_000;

/** A deterministic noisy daily wave, one point a minute. */
function wave(points: number, seed = 1): Array<[number, number]> {
  let state = seed;
  const noise = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 4;
  return Array.from({ length: points }, (_, i) => [1_700_000_000_000 + i * MINUTE, 50 + 20 * Math.sin((2 * Math.PI * i) / 1440) + noise()]);
}

describe('the pattern detector (the default)', () => {
  it('is the default, scores every point in [0, 1] and nothing during its warm-up', () => {
    expect(DEFAULT_DETECTOR.name).toBe('pattern');
    const detector = pattern.create();
    const scores = wave(5000).map(([epoch, value]) => detector.update(epoch, value));
    expect(scores.slice(0, PATTERN_PARAMS.warmUp).every((score) => score === 0)).toBe(true);
    expect(scores.every((score) => score >= 0 && score <= 1)).toBe(true);
  });

  it('scores a value far outside everything seen at 1, then stays quiet for the same incident', () => {
    const detector = pattern.create();
    for (const [epoch, value] of wave(3000)) detector.update(epoch, value);
    const at = 1_700_000_000_000 + 3000 * MINUTE;
    expect(detector.update(at, 500)).toBe(1);
    expect(detector.update(at + MINUTE, 520)).toBeLessThanOrEqual(PATTERN_PARAMS.reportLevel / 2);
  });

  it('continues from a JSON snapshot exactly where an uninterrupted run would be', () => {
    const series = readSeries(NAB_DATA, 'realKnownCause/nyc_taxi.csv');
    const whole = pattern.create();
    const expected = series.values.map((value, i) => whole.update(series.epochs[i]!, value));

    let detector = pattern.create();
    const got: number[] = [];
    series.values.forEach((value, i) => {
      if (i > 0 && i % 2500 === 0) detector = openDetector('pattern', JSON.parse(JSON.stringify(detector.snapshot())));
      got.push(detector.update(series.epochs[i]!, value));
    });
    expect(got).toEqual(expected);
  });

  it('refuses a snapshot of another kind, another version or with damaged tables', () => {
    const detector = pattern.create();
    for (const [epoch, value] of wave(400)) detector.update(epoch, value);
    const snapshot = detector.snapshot();
    expect(pattern.restore({ ...snapshot, version: snapshot.version + 1 })).toBeUndefined();
    expect(pattern.restore(windowedGaussian.create().snapshot())).toBeUndefined();
    expect(pattern.restore({ ...snapshot, state: { ...(snapshot.state as object), keys: 'AAAA' } })).toBeUndefined();
    expect(pattern.restore({ ...snapshot, state: null })).toBeUndefined();
  });

  it('keeps its memory bounded however long and varied the series', () => {
    const detector = pattern.create();
    let state = 7;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 60_000; i++) detector.update(1_700_000_000_000 + i * MINUTE, random() * 1000 * (1 + i / 1000));
    const snapshot = JSON.stringify(detector.snapshot());
    // The tables are fixed-size (6 bytes an entry, base64); the rest is a few hundred numbers.
    expect(snapshot.length).toBeLessThan(Math.ceil((PATTERN_PARAMS.capacity * 6 * 4) / 3) + 4000);
  });
});

describe('the count table', () => {
  it('counts, and when three quarters full halves every count and forgets the ones at zero', () => {
    const table = new CountTable(8);
    for (let i = 0; i < 4; i++) table.add(11);
    table.add(12);
    for (let key = 13; key < 17; key++) table.add(key);
    expect(table.get(11)).toBe(4);
    // 6 keys fill 3/4 of 8 slots: the next new key ages the table first.
    table.add(99);
    expect(table.get(11)).toBe(2);
    expect(table.get(12)).toBe(0);
    expect(table.get(99)).toBe(1);
  });

  it('is rebuilt from its entries with the same counts and the same ageing, and refuses entries that cannot be its own', () => {
    const table = new CountTable(16);
    for (let key = 1; key <= 10; key++) for (let i = 0; i < key; i++) table.add(key * 7919);
    const copy = CountTable.of(16, table.entries())!;
    for (let key = 1; key <= 10; key++) expect(copy.get(key * 7919)).toBe(key);
    // Both age at the same moment: the 13th distinct key goes past three quarters of 16.
    for (const t of [table, copy]) for (let key = 11; key <= 13; key++) t.add(key * 7919);
    for (let key = 1; key <= 13; key++) expect(copy.get(key * 7919)).toBe(table.get(key * 7919));
    expect(CountTable.of(16, { keys: new Int32Array([1, 1]), counts: new Uint16Array([1, 2]) })).toBeUndefined();
    expect(CountTable.of(16, { keys: new Int32Array(13), counts: new Uint16Array(13).fill(1) })).toBeUndefined();
    expect(CountTable.of(16, { keys: new Int32Array([5]), counts: new Uint16Array([0]) })).toBeUndefined();
  });

  it('halves the table rather than overflow a count', () => {
    const table = new CountTable(16);
    for (let i = 0; i < 0x10000 + 5; i++) table.add(5);
    expect(table.get(5)).toBeGreaterThan(0x7fff);
    expect(table.get(5)).toBeLessThanOrEqual(0xffff);
  });

  it('hashes tuples apart, large parts included', () => {
    expect(hashParts(1, 2, 3)).not.toBe(hashParts(1, 3, 2));
    expect(hashParts(1, 2 ** 40)).not.toBe(hashParts(1, 0));
    expect(hashParts(1, -1)).not.toBe(hashParts(1, 1));
  });
});
