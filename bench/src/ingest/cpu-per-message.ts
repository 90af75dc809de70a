import { waitForQuietPlatform } from '../support/platform-quiet.js';
import { threadCpuMeter } from '../support/thread-cpu.js';

/** CPU per acknowledged message, in microseconds of one core (user + system), over a max-rate phase. */
export interface CpuPerMessage {
  /** Every thread of the target's process. */
  processUs: number;
  /** Its main thread: the event loop, where the broker runs. */
  mainUs: number;
  /** Its other threads that used CPU, busiest first, with their nice values (the platform's workers). */
  threads: Array<{ us: number; nice: number }>;
  /** This benchmark's process: the simulated devices that made the load. */
  loadGeneratorUs: number;
  /**
   * Seconds the target went on working after the last PUBACK (the indexer's and detection's
   * backlog) until it used under a tenth of a core; that work is counted in the figures above.
   */
  catchUpSeconds: number;
}

/**
 * Measures the target process `pid` and this process from now. The returned function, called once
 * the last message is acknowledged, waits until the target has worked off what the phase left it,
 * then answers the CPU per message for `messages`; null without procfs or messages.
 */
export function cpuPerMessageMeter(pid: number | undefined): (messages: number) => Promise<CpuPerMessage | null> {
  const target = pid === undefined ? undefined : threadCpuMeter(pid);
  const benchStart = process.cpuUsage();
  return async (messages) => {
    const bench = process.cpuUsage(benchStart);
    const catchUpSeconds = target ? await waitForQuietPlatform(pid) : 0;
    const split = target?.();
    if (!split || messages <= 0) return null;
    const us = (seconds: number): number => (seconds * 1e6) / messages;
    return {
      processUs: us(split.processSeconds),
      mainUs: us(split.mainSeconds),
      threads: split.others.map((thread) => ({ us: us(thread.seconds), nice: thread.nice })),
      loadGeneratorUs: (bench.user + bench.system) / messages,
      catchUpSeconds,
    };
  };
}

/** What `cores` cores give each message at `share` of the baseline's rate, and what is left of it once the load generator has had its part. */
export interface CpuBudget {
  share: number;
  msgsPerSec: number;
  totalUs: number;
  /** `totalUs` less the load generator's CPU per message in the same phase. */
  targetUs: number;
}

export function cpuBudget(cores: number, baselineMsgsPerSec: number, share: number, loadGeneratorUs: number): CpuBudget | null {
  if (!(cores > 0 && baselineMsgsPerSec > 0 && share > 0)) return null;
  const msgsPerSec = share * baselineMsgsPerSec;
  const totalUs = (cores * 1e6) / msgsPerSec;
  return { share, msgsPerSec, totalUs, targetUs: totalUs - loadGeneratorUs };
}
