import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { readSchemaVersions, type SchemaVersions } from './schema-versions.js';

/** The most pages sqlite3_backup_step takes at once (better-sqlite3 clamps to this). */
const ALL_PAGES = 0x7fffffff;

export interface DatabaseBackup {
  pages: number;
  schema: SchemaVersions;
}

/**
 * Copies a SQLite file, safely while other processes write it, to a new file (mode 0600) with
 * SQLite's online backup API. After the first step, which only sizes the copy, the rest goes in
 * one step: that step reads inside one transaction, so the copy is one consistent snapshot, and
 * (in WAL mode) writers go on meanwhile. In small steps a write by another connection between
 * two of them restarts the copy, which under steady ingest might never finish.
 */
export async function backupDatabase(source: string, target: string): Promise<DatabaseBackup> {
  // Created first so the copy is never readable by others, whatever the umask.
  closeSync(openSync(target, 'wx', 0o600));
  const db = new Database(source, { fileMustExist: true, timeout: 5_000 });
  try {
    const result = await db.backup(target, { progress: () => ALL_PAGES });
    return { pages: result.totalPages, schema: settle(target) };
  } finally {
    db.close();
  }
}

/**
 * Takes the copy out of WAL mode (the platform's open turns it back on), so it is one
 * self-contained file that can be read, checksummed and read only without -wal or -shm files.
 */
function settle(file: string): SchemaVersions {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
    return readSchemaVersions(db);
  } finally {
    db.close();
  }
}

/** The schema versions a SQLite file records, read without changing it. */
export function schemaVersionsOfFile(file: string): SchemaVersions {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return readSchemaVersions(db);
  } finally {
    db.close();
  }
}
