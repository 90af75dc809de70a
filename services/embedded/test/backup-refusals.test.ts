import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, readSchemaVersions } from '@citus/sqlite';
import { makeTempDir, type TempDir } from '../../../bench/src/support/temp-dir.js';
import { BackupManifest, sha256OfFile } from '../src/cli/backup-manifest.js';
import { citus, runPlatformMain } from './support/citus-cli.js';
import { backUpFreshPlatform } from './support/platform-backup.js';

const NEWER = 99;

/** Records a migration of devices.db's module that this code does not have, as a newer Citus would. */
function migrateDevicesPastThisCode(file: string): void {
  const db = openDatabase(file, { module: 'device-lifecycle', migrations: [{ version: NEWER, sql: 'CREATE TABLE from_the_future (id INTEGER)' }] });
  // Back to the rollback journal a backup's files use, so the file alone holds the change.
  db.pragma('journal_mode = DELETE');
  db.close();
}

/** Brings the manifest's size and checksum of a file in line with the file, as a careful forger would. */
async function reseal(backupDir: string, path: string): Promise<void> {
  const manifestFile = join(backupDir, 'manifest.json');
  const manifest = BackupManifest.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
  const entry = manifest.files.find((file) => file.path === path);
  if (!entry) throw new Error(`${path} is not in the manifest`);
  entry.size = statSync(join(backupDir, path)).size;
  entry.sha256 = await sha256OfFile(join(backupDir, path));
  writeFileSync(manifestFile, JSON.stringify(manifest));
}

// The built CLI and platform run as child processes (after npm run build); the backup is of an
// in-process platform.
describe('citus backup and restore: refusals', () => {
  let work: TempDir;
  let backupDir: string;
  let n = 0;
  const fresh = (name: string) => join(work.path, `${name}-${++n}`);
  const copyOfBackup = () => {
    const copy = fresh('backup-copy');
    cpSync(backupDir, copy, { recursive: true });
    return copy;
  };
  const leftovers = () => readdirSync(work.path).filter((name) => name.includes('.restore-'));

  beforeAll(async () => {
    work = makeTempDir('citus-backup-refusals-');
    backupDir = join(work.path, 'backup');
    await backUpFreshPlatform(backupDir);
  }, 60_000);

  afterAll(() => work?.remove());

  it('refuses a backup whose file does not match its checksum, and restores nothing', async () => {
    const damaged = copyOfBackup();
    const file = join(damaged, 'devices.db');
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const dataDir = fresh('data');
    const refused = await citus('restore', damaged, '--data-dir', dataDir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/citus: the backup is damaged or was altered: devices\.db has \d+ bytes and SHA-256 [0-9a-f]{64}, the manifest says/);
    expect(existsSync(dataDir)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('refuses a backup without its manifest (an interrupted one)', async () => {
    const partial = copyOfBackup();
    rmSync(join(partial, 'manifest.json'));
    const refused = await citus('restore', partial, '--data-dir', fresh('data'));
    expect(refused).toMatchObject({ code: 1, stderr: `citus: ${join(partial, 'manifest.json')} is missing: not a complete Citus backup\n` });
  });

  it('refuses a backup written by a newer schema, even with matching checksums', async () => {
    const newer = copyOfBackup();
    migrateDevicesPastThisCode(join(newer, 'devices.db'));
    await reseal(newer, 'devices.db');
    const dataDir = fresh('data');
    const refused = await citus('restore', newer, '--data-dir', dataDir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to restore: this backup was written by a newer Citus; upgrade, or restore a backup made by this version.');
    expect(refused.stderr).toMatch(new RegExp(`devices\\.db: module "device-lifecycle" is at version ${NEWER}, this code knows up to \\d+`));
    expect(existsSync(dataDir)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a platform will not start on data with a newer schema: exit 2, naming file, module and versions', async () => {
    const dataDir = fresh('data');
    expect(await citus('restore', backupDir, '--data-dir', dataDir)).toMatchObject({ code: 0 });
    migrateDevicesPastThisCode(join(dataDir, 'devices.db'));
    const started = await runPlatformMain(dataDir);
    expect(started.code).toBe(2);
    expect(started.stderr).toMatch(
      new RegExp(
        `^${join(dataDir, 'devices.db')}: module "device-lifecycle" is at schema version ${NEWER}, but this code knows versions up to \\d+\\. ` +
          'This data was written by a newer Citus; upgrade, or restore a backup made by this version\\.\\n$',
      ),
    );
  }, 60_000);

  it('restores over a non-empty data dir only with --force, moving the old one aside', async () => {
    const dataDir = fresh('data');
    expect(await citus('restore', backupDir, '--data-dir', dataDir)).toMatchObject({ code: 0 });
    migrateDevicesPastThisCode(join(dataDir, 'devices.db'));
    const refused = await citus('restore', backupDir, '--data-dir', dataDir);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining(`${dataDir} is not empty: restore into an empty data dir, or pass --force`) });

    const forced = await citus('restore', backupDir, '--data-dir', dataDir, '--force');
    expect(forced.code).toBe(0);
    const aside = /the replaced data dir is now (\S+)/.exec(forced.stderr)?.[1];
    expect(aside).toMatch(new RegExp(`^${dataDir}\\.before-restore-`));
    const schemaOf = (file: string) => {
      const db = openDatabase(file, { module: 'test-reader', migrations: [] });
      try {
        return readSchemaVersions(db);
      } finally {
        db.close();
      }
    };
    expect(schemaOf(join(aside as string, 'devices.db'))['device-lifecycle']).toBe(NEWER);
    expect(schemaOf(join(dataDir, 'devices.db'))['device-lifecycle']).toBeLessThan(NEWER);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('backs up only into a new or empty dir outside the data dir, from a data dir that exists', async () => {
    expect(await citus('backup', backupDir, '--data-dir', work.path)).toMatchObject({ code: 1, stderr: expect.stringContaining('must lie outside the data dir') });
    const source = fresh('data');
    expect(await citus('restore', backupDir, '--data-dir', source)).toMatchObject({ code: 0 });
    expect(await citus('backup', backupDir, '--data-dir', source)).toMatchObject({ code: 1, stderr: `citus: ${backupDir} is not empty: back up into a new or empty directory\n` });
    expect(await citus('backup', join(source, 'inside'), '--data-dir', source)).toMatchObject({ code: 1 });
    expect(await citus('backup', fresh('target'), '--data-dir', fresh('missing'))).toMatchObject({ code: 1, stderr: expect.stringContaining('no data dir at') });
  });

  it('answers wrong usage with exit code 2 and the usage text', async () => {
    for (const args of [[], ['frobnicate'], ['backup'], ['restore'], ['restore', 'a', 'b'], ['backup', 'x', '--force'], ['backup', 'x', '--bogus'], ['restore', 'x', '--data-dir']]) {
      const run = await citus(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stdout + run.stderr).toContain('usage:\n  citus backup <target-dir> [--data-dir <dir>]');
    }
    expect(await citus('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('citus restore <backup-dir>') });
  }, 60_000);
});
