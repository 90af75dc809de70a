import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, readSchemaVersions, SchemaTooNewError, type Migration, type SqliteDatabase } from '../src/index.js';

const NOTES: Migration[] = [
  { version: 2, sql: 'ALTER TABLE notes ADD COLUMN author TEXT' },
  { version: 1, sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)' },
];

describe('openDatabase', () => {
  let dir: string;
  const open: SqliteDatabase[] = [];
  const openFile = (file: string, migrations = NOTES, module = 'notes') => {
    const db = openDatabase(join(dir, file), { module, migrations });
    open.push(db);
    return db;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-sqlite-'));
  });
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file readable by its owner only, in WAL mode with full sync and foreign keys', () => {
    const db = openFile('a.db');
    expect(statSync(join(dir, 'a.db')).mode & 0o777).toBe(0o600);
    // The WAL holds committed rows until a checkpoint: it must be as private as the file.
    expect(statSync(join(dir, 'a.db-wal')).mode & 0o777).toBe(0o600);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('applies migrations in version order, each once', () => {
    openFile('a.db').prepare('INSERT INTO notes (body, author) VALUES (?, ?)').run('hello', 'ann');
    open[0]?.close();
    const again = openFile('a.db');
    expect(again.prepare('SELECT body, author FROM notes').all()).toEqual([{ body: 'hello', author: 'ann' }]);
    expect(again.prepare("SELECT version FROM schema_migrations WHERE module = 'notes' ORDER BY version").pluck().all()).toEqual([1, 2]);
  });

  it('applies only the new migrations of a module on a later start', () => {
    openFile('a.db', NOTES.filter((m) => m.version === 1)).close();
    const db = openFile('a.db');
    expect(db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('notes')).toEqual(['id', 'body', 'author']);
  });

  it('keeps migrations of different modules in one file apart', () => {
    openFile('shared.db');
    const other = openFile('shared.db', [{ version: 1, sql: 'CREATE TABLE tags (name TEXT)' }], 'tags');
    expect(other.prepare('SELECT module, version FROM schema_migrations ORDER BY module, version').all()).toEqual([
      { module: 'notes', version: 1 },
      { module: 'notes', version: 2 },
      { module: 'tags', version: 1 },
    ]);
  });

  it('rolls a failing migration back and does not record it', () => {
    const broken: Migration[] = [
      { version: 1, sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY); INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => openFile('b.db', broken)).toThrow(/no such table: nowhere/);
    const db = openFile('b.db', []);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'notes'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(0);
  });

  it('refuses a file that a newer code migrated further, naming the file, module and both versions', () => {
    openFile('a.db').close();
    const file = join(dir, 'a.db');
    const older = NOTES.filter((m) => m.version === 1);
    expect(() => openFile('a.db', older)).toThrow(SchemaTooNewError);
    expect(() => openFile('a.db', older)).toThrow(
      `${file}: module "notes" is at schema version 2, but this code knows versions up to 1. ` +
        'This data was written by a newer Citus; upgrade, or restore a backup made by this version.',
    );
    // Refused before touching anything: the file still opens, unchanged, with the code that wrote it.
    expect(readSchemaVersions(openFile('a.db'))).toEqual({ notes: 2 });
  });

  it('judges each module of a shared file by its own migrations only', () => {
    openFile('shared.db').close();
    const tags = openFile('shared.db', [{ version: 1, sql: 'CREATE TABLE tags (name TEXT)' }], 'tags');
    expect(readSchemaVersions(tags)).toEqual({ notes: 2, tags: 1 });
    // A reader that owns no migrations of its own never finds its module newer.
    expect(() => openFile('shared.db', [], 'notes-reader')).not.toThrow();
  });
});
