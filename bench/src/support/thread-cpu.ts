import { readdirSync, readFileSync } from 'node:fs';

/** Linux's clock ticks a second (`getconf CLK_TCK`), 100 on every common architecture. */
const CLOCK_TICKS = 100;

/** One thread of a process: its id, its nice value and the CPU seconds (user + system) it has used. */
export interface ThreadCpu {
  tid: number;
  nice: number;
  seconds: number;
}

/**
 * A `/proc/<pid>/task/<tid>/stat` line's figures (proc(5): field 14 utime, 15 stime, 19 nice).
 * The command name (field 2) may hold spaces and parentheses; the fields after its last `)` do not.
 */
export function parseThreadStat(tid: number, stat: string): ThreadCpu {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
  const [utime, stime, nice] = [fields[11], fields[12], fields[16]].map(Number);
  if (![utime, stime, nice].every((n) => Number.isFinite(n))) throw new Error(`unreadable stat line of thread ${tid}`);
  return { tid, nice: nice!, seconds: (utime! + stime!) / CLOCK_TICKS };
}

/**
 * CPU seconds (user + system) a whole process has used so far, ended threads included, from
 * `/proc/<pid>/stat` (the same fields as a thread's line); null where there is no procfs.
 */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    return parseThreadStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8')).seconds;
  } catch {
    return null;
  }
}

/** Every live thread of `pid`; null where there is no procfs or the process is gone. */
export function threadsOf(pid: number): ThreadCpu[] | null {
  let tids: number[];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return null;
  }
  const threads: ThreadCpu[] = [];
  for (const tid of tids) {
    try {
      threads.push(parseThreadStat(tid, readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/** What each thread used between two readings; a thread born meanwhile counts from zero. */
export interface CpuSplit {
  /** The whole process, threads that ended meanwhile included. */
  processSeconds: number;
  /** The main thread (tid = pid): in Node.js, the event loop. */
  mainSeconds: number;
  /** The other threads that used any CPU, busiest first. */
  others: ThreadCpu[];
}

/** Starts measuring `pid`'s threads; the returned function answers what they used since, or null without procfs. */
export function threadCpuMeter(pid: number): () => CpuSplit | null {
  const before = new Map((threadsOf(pid) ?? []).map((thread) => [thread.tid, thread.seconds]));
  const processBefore = processCpuSeconds(pid);
  return () => {
    const after = threadsOf(pid);
    const processAfter = processCpuSeconds(pid);
    if (!after || processBefore === null || processAfter === null) return null;
    const used = after.map((thread) => ({ ...thread, seconds: thread.seconds - (before.get(thread.tid) ?? 0) }));
    const others = used.filter((thread) => thread.tid !== pid && thread.seconds > 0).sort((a, b) => b.seconds - a.seconds);
    return {
      processSeconds: processAfter - processBefore,
      mainSeconds: used.find((thread) => thread.tid === pid)?.seconds ?? 0,
      others,
    };
  };
}
