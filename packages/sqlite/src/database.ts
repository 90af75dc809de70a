import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { highestVersion, refuseNewerSchema } from './schema-versions.js';

export type SqliteDatabase = Database.Database;
export type SqliteStatement = Database.Statement;

export interface Migration {
  version: number;
  sql: string;
}

export interface OpenOptions {
  /** Owner of the migrations, so several modules can share one file. */
  module: string;
  migrations: Migration[];
  /** `full` fsyncs the WAL on every commit: a committed write survives a power cut. */
  synchronous?: 'full' | 'normal';
}

/**
 * Opens (creating it mode 0600) a SQLite file in WAL mode and applies the module's pending
 * migrations in one transaction each.
 */
export function openDatabase(file: string, options: OpenOptions): SqliteDatabase {
  const isNew = file !== ':memory:' && !existsSync(file);
  const db = new Database(file);
  if (isNew) chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'full'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  try {
    migrate(db, options.module, options.migrations);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Applies a module's pending migrations to an open database, one transaction each. `openDatabase`
 * calls it for the module that owns the file; a module that keeps its tables in another's file
 * (and must see that module's tables, e.g. to index them) calls it on that file's handle.
 */
export function migrate(db: SqliteDatabase, module: string, migrations: Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    module TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (module, version))`);
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations WHERE module = ?')
      .pluck()
      .all(module) as number[],
  );
  refuseNewerSchema(db.name, module, Math.max(0, ...applied), highestVersion(migrations));
  const record = db.prepare('INSERT INTO schema_migrations (module, version, applied_at) VALUES (?, ?, ?)');
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(module, migration.version, new Date().toISOString());
    })();
  }
}
