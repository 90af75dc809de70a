import { Worker } from 'node:worker_threads';
import { cpuBudget } from '../src/ingest/cpu-per-message.js';
import { processCpuSeconds } from '../src/support/process-cpu.js';
import { parseThreadStat, threadCpuMeter, threadsOf } from '../src/support/thread-cpu.js';

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
  it('splits the CPU a busy worker thread used from the main thread', async () => {
    const meter = threadCpuMeter(process.pid);
    // Keeps its own thread busy for 300 ms while the main thread waits, then stays alive (an ended
    // thread leaves /proc, and its CPU with it) until terminated.
    const code = `const end = Date.now() + 300; while (Date.now() < end);
      require('node:worker_threads').parentPort.postMessage('spun'); setInterval(() => {}, 1000);`;
    const worker = new Worker(code, { eval: true });
    const split = await new Promise<ReturnType<typeof meter>>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', () => resolve(meter()));
    });
    await worker.terminate();
    expect(split).not.toBeNull();
    const busiest = split!.others[0];
    expect(busiest?.seconds).toBeGreaterThanOrEqual(0.2);
    expect(busiest?.tid).not.toBe(process.pid);
    expect(split!.mainSeconds).toBeLessThan(busiest!.seconds);
    expect(split!.processSeconds).toBeGreaterThanOrEqual(split!.mainSeconds + busiest!.seconds - 0.011);
  });

  it('answers null for a process that is not there', () => {
    expect(threadCpuMeter(2 ** 22 + 7)()).toBeNull();
  });
});

describe('processCpuSeconds (real /proc)', () => {
  it('reads the whole process, at least what its threads have used', () => {
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
