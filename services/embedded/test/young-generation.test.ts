import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { defaultYoungGenerationForWorkers } from '../src/young-generation.js';

/** Makes short-lived garbage with a high survival rate, which makes V8 grow the young generation to its limit. */
const CHURN = `let kept = []; for (let i = 0; i < 3e6; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 1e5) kept = []; }`;
const NEW_SPACE_MB = `require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20`;

/** The size of a new worker's young generation once it has churned. */
async function workerNewSpaceMb(): Promise<number> {
  const worker = new Worker(`${CHURN}; require('node:worker_threads').parentPort.postMessage(${NEW_SPACE_MB});`, { eval: true });
  try {
    return await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

describe('defaultYoungGenerationForWorkers (real V8 isolates)', () => {
  afterAll(() => defaultYoungGenerationForWorkers());

  it('gives worker threads started after it V8\'s own young generation, not the launch option\'s', async () => {
    const own = await workerNewSpaceMb();
    // What `node --max-semi-space-size=64` does to every isolate made later.
    setFlagsFromString('--max-semi-space-size=64');
    const inherited = await workerNewSpaceMb();
    defaultYoungGenerationForWorkers();
    const reset = await workerNewSpaceMb();
    expect(inherited).toBeGreaterThan(2 * own);
    expect(reset).toBeLessThanOrEqual(own);
  }, 60_000);

  it('leaves the main isolate of a process launched with the option its larger young generation', () => {
    // The same call as defaultYoungGenerationForWorkers, in a process started as the platform is.
    const code = `require('node:v8').setFlagsFromString('--max-semi-space-size=0'); ${CHURN}; process.stdout.write(String(${NEW_SPACE_MB}));`;
    const launched = spawnSync(process.execPath, ['--max-semi-space-size=64', '-e', code], { encoding: 'utf8' });
    const plain = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect([launched.status, plain.status]).toEqual([0, 0]);
    expect(Number(launched.stdout)).toBeGreaterThan(2 * Number(plain.stdout));
  }, 60_000);
});
