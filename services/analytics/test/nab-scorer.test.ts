import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listDataFiles, readLabels, readSeries, readTwoColumnCsv, windowRows } from '../src/nab/nab-corpus.js';
import { optimizeCorpus, PROFILES, scoreFile, type ScoredFile } from '../src/nab/nab-scorer.js';

const NAB = join(import.meta.dirname, 'fixtures/nab');
const labels = readLabels(join(NAB, 'labels/combined_windows.json'));
const names = listDataFiles(join(NAB, 'data'));

function referenceFiles(detector: string): ScoredFile[] {
  return names.map((name) => {
    const series = readSeries(join(NAB, 'data'), name);
    const [category, file] = name.split('/') as [string, string];
    const results = readTwoColumnCsv(join(NAB, 'reference', detector, category, `${detector}_${file}`), 'anomaly_score');
    expect(results.timestamps).toEqual(series.timestamps);
    return { name, scores: results.numbers, windows: windowRows(series.epochs, labels.get(name) ?? []) };
  });
}

interface Published {
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  total: number;
}

function published(detector: string): Map<string, Published> {
  const lines = readFileSync(join(NAB, 'reference', detector, `${detector}_standard_scores.csv`), 'utf8').trim().split('\n').slice(1);
  return new Map(
    lines
      .map((line) => line.split(','))
      .filter((cells) => cells[2]!.endsWith('.csv'))
      .map((cells) => {
        const [threshold, score, tp, tn, fp, fn, total] = cells.slice(3).map(Number) as number[];
        return [cells[2]!, { threshold: threshold!, score: score!, tp: tp!, tn: tn!, fp: fp!, fn: fn!, total: total! }];
      }),
  );
}

describe.each(['numenta', 'windowedGaussian'])('the NAB scorer on the published %s outputs', (detector) => {
  const files = referenceFiles(detector);
  const expected = published(detector);

  it('reproduces every file’s published Score, TP, TN, FP and FN at the published threshold', () => {
    expect(expected.size).toBe(names.length);
    for (const file of files) {
      const want = expected.get(file.name)!;
      const got = scoreFile(file, PROFILES.standard, want.threshold);
      expect({ file: file.name, tp: got.tp, tn: got.tn, fp: got.fp, fn: got.fn, total: got.total }).toEqual({
        file: file.name,
        tp: want.tp,
        tn: want.tn,
        fp: want.fp,
        fn: want.fn,
        total: want.total,
      });
      expect(got.score).toBeCloseTo(want.score, 6);
    }
  });
});

describe('the corpus-optimised standard score over the 35 development files', () => {
  it.each([
    ['numenta', 66.6],
    ['windowedGaussian', 22.0],
  ])('gives %s the figure the issue states (%d)', (detector, figure) => {
    const result = optimizeCorpus(referenceFiles(detector), PROFILES.standard);
    expect(result.normalized).toBeCloseTo(figure, 1);
  });
});
