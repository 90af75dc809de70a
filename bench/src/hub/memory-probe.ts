// Preloaded into the platform process (`node --expose-gc --import <this> main.js`) by `pnpm bench
// hub`: on the message "measure" over IPC it runs full garbage collections and answers
// `process.memoryUsage()`, so the platform's memory is read in its own process and nowhere else.
import { readFileSync } from 'node:fs';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** VmRSS of /proc/self/status, in bytes (Linux), as a cross-check of `rss`. */
  vmRss: number | null;
}

function vmRss(): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const collect = (globalThis as { gc?: () => void }).gc;

process.on('message', (message: unknown) => {
  if (message !== 'measure') return;
  if (!collect) throw new Error('the platform was started without --expose-gc');
  // Twice: the first pass can leave garbage that only finalizers of the first made unreachable.
  collect();
  collect();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  const sample: MemorySample = { rss, heapUsed, heapTotal, external, arrayBuffers, vmRss: vmRss() };
  process.send?.(sample);
});
// The channel must not keep the platform alive once it is asked to stop.
process.channel?.unref();
