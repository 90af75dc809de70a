import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
// The built CLI, as `pnpm nab` runs it (npm test builds before it tests).
const CLI = new URL('../dist/nab/nab.cli.js', import.meta.url).pathname;
const NAB = join(import.meta.dirname, 'fixtures/nab');
const FILES = ['artificialWithAnomaly/art_daily_jumpsup.csv', 'realKnownCause/nyc_taxi.csv'];

describe('pnpm nab (the harness command lines)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'citus-nab-'));
    for (const file of FILES) {
      mkdirSync(join(work, 'data', file.split('/')[0]!), { recursive: true });
      cpSync(join(NAB, 'data', file), join(work, 'data', file));
    }
    const labels = JSON.parse(readFileSync(join(NAB, 'labels/combined_windows.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(work, 'labels.json'), JSON.stringify(Object.fromEntries(FILES.map((file) => [file, labels[file]]))));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs the default detector over every file and scores the results on the three profiles', async () => {
    const ran = await run('node', [CLI, 'run', '--data', join(work, 'data'), '--out', join(work, 'out')]);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toContain('[2/2] realKnownCause/nyc_taxi.csv: 10320 rows');
    for (const file of FILES) {
      const lines = readFileSync(join(work, 'out', file), 'utf8').trim().split('\n');
      const data = readFileSync(join(work, 'data', file), 'utf8').trim().split('\n');
      expect(lines[0]).toBe('timestamp,anomaly_score');
      expect(lines).toHaveLength(data.length);
      // Same timestamps, row by row; every score a number in [0, 1].
      expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(data.slice(1).map((line) => line.split(',')[0]));
      expect(lines.slice(1).every((line) => Number(line.split(',')[1]) >= 0 && Number(line.split(',')[1]) <= 1)).toBe(true);
    }

    const scored = await run('node', [CLI, 'score', '--results', join(work, 'out'), '--data', join(work, 'data'), '--labels', join(work, 'labels.json')]);
    const profiles = scored.stdout.trim().split('\n').slice(0, 3).map((line) => line.split(/\s+/).slice(0, 2));
    expect(profiles.map(([name]) => name)).toEqual(['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']);
    for (const [, score] of profiles) expect(Number(score)).toBeGreaterThan(-100);
    expect(scored.stdout).toContain('files 2, windows 6');
  });

  it('answers a usage error with exit code 2 and the usage, and a missing label with its file', async () => {
    await expect(run('node', [CLI, 'run', '--data', join(work, 'data')])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('nab run needs --data and --out') });
    await expect(run('node', [CLI, 'frobnicate'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage:') });
    writeFileSync(join(work, 'empty-labels.json'), '{}');
    await expect(
      run('node', [CLI, 'score', '--results', join(work, 'out'), '--data', join(work, 'data'), '--labels', join(work, 'empty-labels.json')]),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('no labels for this file') });
  });
});
