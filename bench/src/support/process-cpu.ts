import { readFileSync } from 'node:fs';
import { parseThreadStat } from './thread-cpu.js';

/**
 * CPU seconds (user + system, all threads) another process has used so far, from
 * `/proc/<pid>/stat` (the same fields as a thread's stat line); null where there is no procfs.
 */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    return parseThreadStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8')).seconds;
  } catch {
    return null;
  }
}

/** CPU used by `pid` and by this process between two calls, as percent of one core. */
export function cpuMeter(pid: number | undefined): () => { platformCorePercent: number | null; benchCorePercent: number } {
  const startedAt = performance.now();
  const platformStart = processCpuSeconds(pid);
  const benchStart = process.cpuUsage();
  return () => {
    const seconds = (performance.now() - startedAt) / 1000;
    const platformEnd = processCpuSeconds(pid);
    const bench = process.cpuUsage(benchStart);
    return {
      platformCorePercent: platformStart === null || platformEnd === null ? null : (100 * (platformEnd - platformStart)) / seconds,
      benchCorePercent: (100 * (bench.user + bench.system)) / 1e6 / seconds,
    };
  };
}
