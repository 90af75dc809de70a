import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DATA_DIR_LOCK_FILE } from './data-dir.lock.js';

/**
 * The names `citus restore` gives, beside the data dir, to the copy it stages and to the data dir
 * it replaces; here so the restore and the platform's start-up check agree on them.
 */
export const restoreStagingDir = (dataDir: string, stamp: string): string =>
  join(dirname(dataDir), `.${basename(dataDir)}.restore-${stamp}`);
export const replacedDataDir = (dataDir: string, stamp: string): string => `${dataDir}.before-restore-${stamp}`;

export class InterruptedRestoreError extends Error {
  constructor(
    readonly dataDir: string,
    readonly leftovers: string[],
  ) {
    super(
      `${dataDir} is missing or empty, but ${leftovers.join(' and ')} beside it ` +
        `${leftovers.length === 1 ? 'is' : 'are'} left from a citus restore that did not finish. ` +
        'Starting here would make a new data dir with a new CA, which no device certificate chains to. ' +
        `Run citus restore again, or move the .before-restore- dir back to ${dataDir}; ` +
        'remove the leftovers only if a fresh platform is really what you want.',
    );
    this.name = 'InterruptedRestoreError';
  }
}

/** True when the dir holds nothing but, perhaps, its lock file. */
export function isEmptyDataDir(dir: string): boolean {
  return readdirSync(dir).every((name) => name === DATA_DIR_LOCK_FILE);
}

/**
 * Throws InterruptedRestoreError when the data dir is missing or empty while a restore's staging
 * dir or a replaced data dir sits beside it: a crash between the restore's renames, or during its
 * staging into a fresh dir. A non-empty data dir passes, whatever lies beside it, because
 * `--force` leaves the replaced dir there for good.
 */
export function refuseInterruptedRestore(dataDir: string): void {
  if (existsSync(dataDir) && !isEmptyDataDir(dataDir)) return;
  const parent = dirname(dataDir);
  if (!existsSync(parent)) return;
  const name = basename(dataDir);
  const leftovers = readdirSync(parent)
    .filter((entry) => entry.startsWith(`.${name}.restore-`) || entry.startsWith(`${name}.before-restore-`))
    .sort()
    .map((entry) => join(parent, entry));
  if (leftovers.length > 0) throw new InterruptedRestoreError(dataDir, leftovers);
}
