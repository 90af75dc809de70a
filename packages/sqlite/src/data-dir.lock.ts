import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The lock file's name inside a data dir; never part of a backup. */
export const DATA_DIR_LOCK_FILE = 'citus.lock';

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    const holder = holderPid === undefined ? 'another process' : `process ${holderPid}`;
    super(`${dataDir} is in use by ${holder} (a running Citus platform, backup restore or the like); stop it first`);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  readonly dataDir: string;
  release(): void;
}

/**
 * Takes the data dir's lock, or throws DataDirInUseError naming the holder's pid. Keep the
 * returned lock referenced until `release`: once collected, its connection closes and the lock goes.
 *
 * The lock is a SQLite RESERVED lock on `citus.lock` (rollback journal, an open `BEGIN IMMEDIATE`
 * that never commits): SQLite takes it with POSIX advisory locks, which the kernel drops when the
 * holder dies, SIGKILL included, so no stale lock outlives a crash, and SQLite checks it between
 * connections of one process too. Readers are not blocked, so a contender can read the pid the
 * holder committed before it took the lock.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, DATA_DIR_LOCK_FILE);
  const isNew = !existsSync(file);
  const db = new Database(file, { timeout: 0 });
  if (isNew) chmodSync(file, 0o600);
  try {
    db.pragma('journal_mode = DELETE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, since TEXT NOT NULL)');
    db.exec('BEGIN IMMEDIATE');
    db.prepare('INSERT OR REPLACE INTO holder (id, pid, since) VALUES (1, ?, ?)').run(process.pid, new Date().toISOString());
    db.exec('COMMIT');
    // Between the commit and this, another process may have won; it then holds the lock, and we say so.
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    const inUse = isBusy(error) ? new DataDirInUseError(dataDir, holderPid(db)) : error;
    db.close();
    throw inUse;
  }
  return {
    dataDir,
    release: () => {
      if (db.open) db.close();
    },
  };
}

function holderPid(db: Database.Database): number | undefined {
  try {
    const pid = db.prepare('SELECT pid FROM holder WHERE id = 1').pluck().get();
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * By its code alone, not `instanceof`: the native addon keeps the error class (and realm) of the
 * first copy of better-sqlite3 loaded in the process, which jest's context per test file is not.
 */
function isBusy(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}
