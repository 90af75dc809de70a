import { sleep } from './async.js';
import { processCpuSeconds } from './thread-cpu.js';

const QUIET_CORE_SHARE = 0.1;

/**
 * Waits until the platform uses under a tenth of a core over a second (or `maxSeconds` pass), so a
 * phase does not pay for the work the one before left behind (the indexer's backlog, the rule
 * dispatcher's queues). Answers the seconds waited; 0 without procfs.
 */
export async function waitForQuietPlatform(pid: number | undefined, maxSeconds = 120): Promise<number> {
  const started = performance.now();
  let previous = processCpuSeconds(pid);
  if (previous === null) return 0;
  while ((performance.now() - started) / 1000 < maxSeconds) {
    await sleep(1_000);
    const now = processCpuSeconds(pid);
    if (now === null) return 0;
    const used = now - previous;
    previous = now;
    if (used < QUIET_CORE_SHARE) return (performance.now() - started) / 1000;
  }
  process.stderr.write(`  the platform still used more than ${QUIET_CORE_SHARE} of a core after ${maxSeconds} s: going on\n`);
  return maxSeconds;
}
