import { Worker } from 'node:worker_threads';
import { cpuBudget, cpuPerMessageMeter } from '../src/ingest/cpu-per-message.js';
import { parseThreadStat, processCpuSeconds, threadCpuMeter, threadsOf } from '../src/support/thread-cpu.js';

/**
 * Starts a worker thread of this process that keeps its core busy for `ms`, then stays alive (an
 * ended thread leaves /proc, and its CPU with it) until terminated; resolves once it has spun.
 */
async function spinningWorker(ms: number): Promise<Worker> {
  const code = `const end = Date.now() + ${ms}; while (Date.now() < end);
    require('node:worker_threads').parentPort.postMessage('spun'); setInterval(() => {}, 1000);`;
  const worker = new Worker(code, { eval: true });
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', () => resolve());
  });
  return worker;
}

describe('parseThreadStat', () => {
  it('reads utime, stime and nice after the last parenthesis, whatever the command name holds', () => {
    // proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice ...
    const line = '4242 (we(ird) name) S 1 4242 4242 0 -1 4194560 10 0 0 0 250 130 0 0 30 10 7 0 12345';
    expect(parseThreadStat(4242, line)).toEqual({ tid: 4242, nice: 10, seconds: 3.8 });
  });

  it('refuses a line it cannot read instead of answering NaN', () => {
    expect(() => parseThreadStat(1, '1 (node) S')).toThrow('unreadable stat line of thread 1');
  });
});

describe('threadCpuMeter on this process (real /proc)', () => {
  it('splits the CPU a busy worker thread used from the main thread, and the threads add up to the process', async () => {
    const meter = threadCpuMeter(process.pid);
    const worker = await spinningWorker(300);
    const split = meter();
    await worker.terminate();
    expect(split).not.toBeNull();
    const busiest = split!.others[0]!;
    // Wall-clock spinning on a shared, loaded machine may get well under a whole core.
    expect(busiest.seconds).toBeGreaterThanOrEqual(0.05);
    expect(busiest.tid).not.toBe(process.pid);
    expect(busiest.seconds).toBeGreaterThan(split!.mainSeconds);
    // No thread ended meanwhile: the process's own figure is the threads' sum, but for rounding to
    // clock ticks (0.01 s), per thread and per reading.
    const threads = split!.mainSeconds + split!.others.reduce((sum, thread) => sum + thread.seconds, 0);
    expect(Math.abs(split!.processSeconds - threads)).toBeLessThanOrEqual(0.02 * (split!.others.length + 2));
  });

  it('answers null for a process that is not there', () => {
    expect(threadCpuMeter(2 ** 22 + 7)()).toBeNull();
  });
});

describe('processCpuSeconds (real /proc)', () => {
  it('reads the whole process, at least what its live threads have used', () => {
    const live = threadsOf(process.pid)!.reduce((sum, thread) => sum + thread.seconds, 0);
    const total = processCpuSeconds(process.pid);
    expect(live).toBeGreaterThan(0);
    // The process figure also counts threads that have ended, so it is not below the live ones' sum
    // (but for a few clock ticks: the kernel splits user and system time per thread and per process apart).
    expect(total).toBeGreaterThanOrEqual(live - 0.05);
  });

  it('answers null for no process', () => {
    expect(processCpuSeconds(undefined)).toBeNull();
    expect(processCpuSeconds(2 ** 22 + 7)).toBeNull();
  });
});

describe('cpuPerMessageMeter on this process (real /proc)', () => {
  it('waits for the target to go quiet, then divides what it used by the messages', async () => {
    const meter = cpuPerMessageMeter(process.pid);
    const worker = await spinningWorker(300);
    const cpu = await meter(1_000);
    await worker.terminate();
    expect(cpu).not.toBeNull();
    // At least 0.05 s over 1,000 messages, the worker's part shown apart from the event loop.
    expect(cpu!.processUs).toBeGreaterThanOrEqual(50);
    expect(cpu!.threads[0]!.us).toBeGreaterThan(cpu!.mainUs);
    expect(cpu!.catchUpSeconds).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('has no figures without a process or without messages', async () => {
    await expect(cpuPerMessageMeter(undefined)(1_000)).resolves.toBeNull();
    await expect(cpuPerMessageMeter(process.pid)(0)).resolves.toBeNull();
  }, 30_000);
});

describe('cpuBudget', () => {
  it('gives each message the cores over the goal rate, less the load generator', () => {
    // 0.6 of 40,000 msg/s is 24,000 msg/s; two cores give 83.3 µs each.
    const budget = cpuBudget(2, 40_000, 0.6, 23);
    expect(budget?.msgsPerSec).toBe(24_000);
    expect(budget?.totalUs).toBeCloseTo(83.33, 2);
    expect(budget?.targetUs).toBeCloseTo(60.33, 2);
  });

  it('has no budget without a baseline rate', () => {
    expect(cpuBudget(2, 0, 0.6, 23)).toBeNull();
  });
});
