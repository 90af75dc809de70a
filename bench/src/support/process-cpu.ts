import { processCpuSeconds } from './thread-cpu.js';

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
