import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** The resident set of a process at one moment of the run. */
export interface RssSample {
  /** Since the sampler started. */
  seconds: number;
  rssMb: number;
}

/** `VmRSS` of `/proc/<pid>/status` (proc(5), in kB) in MiB; null where there is no such process or no procfs. */
export function readRssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Reads another process's RSS every `intervalMs` (all its threads: the indexer's worker too) until stopped. */
export class RssSampler {
  private readonly samples: RssSample[] = [];
  private readonly startedAt = performance.now();
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly pid: number,
    intervalMs = 1000,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  get latest(): RssSample | undefined {
    return this.samples.at(-1);
  }

  /** Takes a last sample and stops; later calls answer the same samples. */
  stop(): RssSample[] {
    if (this.stopped) return this.samples;
    this.stopped = true;
    clearInterval(this.timer);
    this.sample();
    return this.samples;
  }

  private sample(): void {
    const rssMb = readRssMb(this.pid);
    if (rssMb !== null) this.samples.push({ seconds: (performance.now() - this.startedAt) / 1000, rssMb });
  }
}
