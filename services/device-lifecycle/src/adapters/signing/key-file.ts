import { closeSync, chmodSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A key kept in a file of its own (0600, in a 0700 directory): read if it exists, else made once.
 * A new key is written under a temporary name, synced, renamed and its directory synced, so a power
 * cut leaves the old state or the whole key, never a truncated one that would sign nothing again.
 */
export function readOrCreateKeyFile(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const content = make();
  const partial = `${file}.partial`;
  const handle = openSync(partial, 'w', 0o600);
  try {
    writeSync(handle, content);
    fsyncSync(handle);
  } finally {
    closeSync(handle);
  }
  renameSync(partial, file);
  const directory = openSync(dir, 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
  return content;
}
