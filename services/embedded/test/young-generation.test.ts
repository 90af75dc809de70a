import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { defaultYoungGenerationForWorkers } from '../src/young-generation.js';

/**
 * The size V8 gives a new worker's young generation once the worker has made garbage for a while
 * (it grows its semi-spaces up to their limit under a high survival rate).
 */
async function workerNewSpaceMb(): Promise<number> {
  const code = `
    const { getHeapSpaceStatistics } = require('node:v8');
    let kept = [];
    for (let i = 0; i < 3e6; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 1e5) kept = []; }
    const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    require('node:worker_threads').parentPort.postMessage(space.space_size / 2 ** 20);`;
  const worker = new Worker(code, { eval: true });
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
    expect(own).toBeLessThanOrEqual(32);
    expect(inherited).toBe(128);
    expect(reset).toBe(own);
  }, 60_000);
});
