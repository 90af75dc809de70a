import { closeSync, fsyncSync, openSync } from 'node:fs';

/**
 * Flushes a file's or a dir's contents to the disk. A rename or a new entry is only durable once
 * the dir holding it is flushed too (fsync(2), "Notes"): without these, a power cut after `citus
 * restore` reported success could leave a data dir of empty or missing files.
 */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
