import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onExit } from './exit-cleanup.js';

export interface TempDir {
  path: string;
  remove(): void;
}

/** A fresh directory under the OS temp dir, removed on `remove()` or at the latest when this process exits. */
export function makeTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const removeNow = (): void => rmSync(path, { recursive: true, force: true });
  const unregister = onExit(removeNow);
  return {
    path,
    remove() {
      unregister();
      removeNow();
    },
  };
}
