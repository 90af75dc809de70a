import type { Migration, SqliteDatabase } from './database.js';

/** The highest migration version applied to one file, per module that owns migrations in it. */
export type SchemaVersions = Record<string, number>;

export interface NewerSchema {
  module: string;
  fileVersion: number;
  codeVersion: number;
}

/**
 * A file whose schema was migrated further than this code knows how: the code would read and
 * write tables whose shape it does not know, so it refuses instead of guessing.
 */
export class SchemaTooNewError extends Error {
  constructor(
    readonly file: string,
    readonly newer: NewerSchema,
  ) {
    super(
      `${file}: module "${newer.module}" is at schema version ${newer.fileVersion}, but this code knows ` +
        `versions up to ${newer.codeVersion}. This data was written by a newer Citus; upgrade, or restore ` +
        'a backup made by this version.',
    );
    this.name = 'SchemaTooNewError';
  }
}

export function highestVersion(migrations: readonly Migration[]): number {
  return Math.max(0, ...migrations.map((migration) => migration.version));
}

export function refuseNewerSchema(file: string, module: string, fileVersion: number, codeVersion: number): void {
  if (fileVersion > codeVersion) throw new SchemaTooNewError(file, { module, fileVersion, codeVersion });
}

/** What `schema_migrations` records in an open file; a file without the table has none. */
export function readSchemaVersions(db: SqliteDatabase): SchemaVersions {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!hasTable) return {};
  const rows = db
    .prepare('SELECT module, max(version) AS version FROM schema_migrations GROUP BY module ORDER BY module')
    .all() as Array<{ module: string; version: number }>;
  return Object.fromEntries(rows.map((row) => [row.module, row.version]));
}

/** The modules of `found` migrated past what `known` records (a module `known` lacks counts as version 0). */
export function newerSchemas(found: SchemaVersions, known: SchemaVersions): NewerSchema[] {
  return Object.entries(found)
    .map(([module, fileVersion]) => ({ module, fileVersion, codeVersion: known[module] ?? 0 }))
    .filter((entry) => entry.fileVersion > entry.codeVersion);
}
