import { readFileSync } from 'node:fs';

/** Linux's clock ticks a second (`getconf CLK_TCK`), 100 on every common architecture. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds (user + system, all threads) another process has used so far, from
 * `/proc/<pid>/stat` (proc(5): fields 14 utime and 15 stime); null where there is no procfs.
 */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
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
