import { join } from 'node:path';
import { DEFAULT_DETECTOR } from '../src/domain/detectors/detector.registry.js';
import { listDataFiles, readLabels, readSeries, windowRows } from '../src/nab/nab-corpus.js';
import { optimizeCorpus, PROFILES } from '../src/nab/nab-scorer.js';

const NAB = join(import.meta.dirname, 'fixtures/nab');

describe('the default detector on the 35 NAB development files', () => {
  it('scores above Numenta HTM’s 66.6 on the standard profile (threshold optimised over these files)', () => {
    const labels = readLabels(join(NAB, 'labels/combined_windows.json'));
    const files = listDataFiles(join(NAB, 'data')).map((name) => {
      const series = readSeries(join(NAB, 'data'), name);
      const detector = DEFAULT_DETECTOR.create();
      return { name, scores: series.values.map((value, i) => detector.update(series.epochs[i]!, value)), windows: windowRows(series.epochs, labels.get(name) ?? []) };
    });
    expect(optimizeCorpus(files, PROFILES.standard).normalized).toBeGreaterThan(66.6);
  });
});
