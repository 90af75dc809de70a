import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InterruptedRestoreError, refuseInterruptedRestore } from '@citus/sqlite';
import { makeTempDir, type TempDir } from '../../../bench/src/support/temp-dir.js';
import { BackupManifest, sha256OfFile } from '../src/cli/backup-manifest.js';
import { CommandError } from '../src/cli/cli.errors.js';
import { checkDataDirPlacement } from '../src/cli/data-dir.placement.js';
import { citus, CITUS_CLI, PLATFORM_MAIN, runNode, type NodeRun } from './support/citus-cli.js';
import { backUpFreshPlatform } from './support/platform-backup.js';

/**
 * Preloaded into the CLI: records the fsyncs, renames and rmdirs it makes, and its peak memory.
 * A power cut cannot be staged here, so what is flushed, and in which order, is recorded instead.
 */
const RECORDER = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const ops = [];
const pathOf = (fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd); } catch { return 'fd ' + fd; } };
const { fsyncSync, renameSync, rmdirSync } = fs;
fs.fsyncSync = (fd) => { ops.push(['fsync', pathOf(fd)]); return fsyncSync(fd); };
fs.renameSync = (from, to) => { ops.push(['rename', String(from), String(to)]); return renameSync(from, to); };
fs.rmdirSync = (path, options) => { ops.push(['rmdir', String(path)]); return rmdirSync(path, options); };
syncBuiltinESMExports();
process.on('exit', () => fs.writeFileSync(process.env.CITUS_TEST_FS_RECORD, JSON.stringify({ ops, maxRssKiB: process.resourceUsage().maxRSS })));
`;

type Op = ['fsync', string] | ['rename', string, string] | ['rmdir', string];
interface Recorded extends NodeRun {
  ops: Op[];
  maxRssBytes: number;
}

/** The built platform on the data dir, as runPlatformMain, but killed if it is still up after 20 s: one that starts is the failure here. */
async function platformExit(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [PLATFORM_MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', MQTT_TLS_PORT: '0', MQTT_HOST: '127.0.0.1', CITUS_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 20_000,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

const readManifestOf = (backupDir: string) => BackupManifest.parse(JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')));
const writeManifestOf = (backupDir: string, manifest: BackupManifest) => writeFileSync(join(backupDir, 'manifest.json'), JSON.stringify(manifest));

describe('citus backup and restore: layout, streaming, links, durability, interrupted restores, modes', () => {
  let work: TempDir;
  let backupDir: string;
  let recorder: string;
  let n = 0;
  const fresh = (name: string) => join(work.path, `${name}-${++n}`);
  const copyOfBackup = () => {
    const copy = fresh('backup-copy');
    cpSync(backupDir, copy, { recursive: true });
    return copy;
  };
  const recorded = async (...args: string[]): Promise<Recorded> => {
    const record = fresh('record.json');
    const run = await runNode(CITUS_CLI, args, {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(recorder).href}`,
      CITUS_TEST_FS_RECORD: record,
    });
    const { ops, maxRssKiB } = JSON.parse(readFileSync(record, 'utf8')) as { ops: Op[]; maxRssKiB: number };
    // Only what happened in the test's dirs: the schema check also runs a platform on a temp dir.
    return { ...run, ops: ops.filter((op) => op[1].startsWith(work.path)), maxRssBytes: maxRssKiB * 1024 };
  };
  const fsynced = (run: Recorded) => run.ops.filter((op) => op[0] === 'fsync').map((op) => op[1]);

  beforeAll(async () => {
    work = makeTempDir('citus-restore-safety-');
    recorder = join(work.path, 'fs-recorder.mjs');
    writeFileSync(recorder, RECORDER);
    backupDir = join(work.path, 'backup');
    await backUpFreshPlatform(backupDir);
  }, 60_000);

  afterAll(() => work?.remove());

  describe('where the data dir is', () => {
    it('refuses, before copying, a data dir whose parent is not writable, and names the layout to use', () => {
      const parent = fresh('read-only-parent');
      mkdirSync(parent);
      chmodSync(parent, 0o555);
      const dataDir = join(parent, 'data');
      // Root may write anywhere, whatever the mode (and a child as another user may not even reach
      // this checkout): as root, the permission check is told what the kernel tells other users.
      const asRoot = process.getuid?.() === 0;
      const deniedToOthers = (dir: string) => {
        if (dir === parent) throw Object.assign(new Error(`EACCES: permission denied, access '${dir}'`), { code: 'EACCES' });
      };
      expect(() => checkDataDirPlacement(dataDir, ...(asRoot ? [deniedToOthers] : []))).toThrow(
        new CommandError(
          `cannot restore to ${dataDir}: its parent ${parent} is not writable (EACCES), and a restore stages its copy there ` +
            'and renames it into place; mount the volume one level up and point CITUS_DATA_DIR at a dir inside it, as the image, ' +
            'docker-compose.yaml and infra/k8s do: the volume at /var/lib/citus, CITUS_DATA_DIR=/var/lib/citus/data',
        ),
      );
      expect(readdirSync(parent)).toEqual([]);
      // A writable parent passes.
      chmodSync(parent, 0o755);
      expect(() => checkDataDirPlacement(dataDir)).not.toThrow();
    });

    it('refuses a data dir that is a mount point (/proc stands in for a volume mounted on the data dir)', async () => {
      const refused = await citus('restore', backupDir, '--data-dir', '/proc', '--force');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^citus: cannot restore to \/proc: it is a mount point, and a restore replaces the data dir by renaming a copy staged beside it; mount the volume one level up .* CITUS_DATA_DIR=\/var\/lib\/citus\/data\n$/);
    });
  });

  it('restores a file larger than its own memory use, copied and checksummed as streams', async () => {
    const backup = copyOfBackup();
    const size = 768 * 1024 * 1024;
    // Sparse: the test does not write the bytes, the restore's copy does.
    writeFileSync(join(backup, 'big.bin'), '', { mode: 0o600 });
    truncateSync(join(backup, 'big.bin'), size);
    const manifest = readManifestOf(backup);
    manifest.files.push({ path: 'big.bin', kind: 'file', size, sha256: await sha256OfFile(join(backup, 'big.bin')), mode: '0600' });
    writeManifestOf(backup, manifest);
    const dataDir = fresh('data');
    const run = await recorded('restore', backup, '--data-dir', dataDir);
    expect(run.code).toBe(0);
    expect(statSync(join(dataDir, 'big.bin')).size).toBe(size);
    // Read whole, the file alone would be 768 MiB of the process; streamed, the process stays far below it.
    expect(run.maxRssBytes).toBeLessThan(size / 2);
  }, 120_000);

  describe('symbolic links in the data dir', () => {
    it('backs up what links point at, as real files and dirs a restore brings back', async () => {
      const dataDir = fresh('data');
      expect(await citus('restore', backupDir, '--data-dir', dataDir)).toMatchObject({ code: 0 });
      const elsewhere = fresh('mounted-secrets');
      mkdirSync(elsewhere);
      renameSync(join(dataDir, 'ca'), join(elsewhere, 'ca'));
      symlinkSync(join(elsewhere, 'ca'), join(dataDir, 'ca'));
      renameSync(join(dataDir, 'devices.db'), join(elsewhere, 'devices.db'));
      symlinkSync(join(elsewhere, 'devices.db'), join(dataDir, 'devices.db'));

      const target = fresh('backup');
      expect(await citus('backup', target, '--data-dir', dataDir)).toMatchObject({ code: 0 });
      const files = readManifestOf(target).files;
      expect(files.find((file) => file.path === 'ca/ca.key')).toMatchObject({ kind: 'file', mode: '0600' });
      expect(files.find((file) => file.path === 'devices.db')).toMatchObject({ kind: 'sqlite', schema: { 'device-lifecycle': expect.any(Number) } });

      const restored = fresh('data');
      expect(await citus('restore', target, '--data-dir', restored)).toMatchObject({ code: 0 });
      expect(lstatSync(join(restored, 'ca')).isDirectory()).toBe(true);
      expect(readFileSync(join(restored, 'ca', 'ca.key'))).toEqual(readFileSync(join(elsewhere, 'ca', 'ca.key')));
      expect(lstatSync(join(restored, 'devices.db')).isFile()).toBe(true);
    }, 60_000);

    it('refuses, exit 1, to back up what it cannot follow, naming each, and writes no backup', async () => {
      const dataDir = fresh('data');
      expect(await citus('restore', backupDir, '--data-dir', dataDir)).toMatchObject({ code: 0 });
      symlinkSync(join(work.path, 'nothing-here'), join(dataDir, 'gone.key'));
      symlinkSync('..', join(dataDir, 'ca', 'loop'));
      const target = fresh('backup');
      const refused = await citus('backup', target, '--data-dir', dataDir);
      expect(refused).toMatchObject({ code: 1 });
      expect(refused.stderr).toContain(`citus: cannot back up ${dataDir}: what follows is not a regular file or directory`);
      expect(refused.stderr).toContain('\n  ca/loop (a symbolic link to ');
      expect(refused.stderr).toContain('\n  gone.key (a symbolic link that leads to no file)\n');
      expect(existsSync(target)).toBe(false);
    }, 60_000);
  });

  describe('what is flushed to disk', () => {
    it('backup: every copy and the manifest, the manifest after every copy', async () => {
      const dataDir = fresh('data');
      expect(await citus('restore', backupDir, '--data-dir', dataDir)).toMatchObject({ code: 0 });
      const target = fresh('backup');
      const run = await recorded('backup', target, '--data-dir', dataDir);
      expect(run.code).toBe(0);
      const flushed = fsynced(run);
      const manifestAt = flushed.indexOf(join(target, 'manifest.json'));
      expect(manifestAt).toBeGreaterThan(-1);
      for (const file of readManifestOf(target).files) {
        const at = flushed.indexOf(join(target, file.path));
        expect({ file: file.path, flushedBeforeManifest: at > -1 && at < manifestAt }).toEqual({ file: file.path, flushedBeforeManifest: true });
      }
      expect(flushed.lastIndexOf(target)).toBeGreaterThan(manifestAt);
    }, 60_000);

    it('restore: every staged file, the staging dir, then the parent after the rename', async () => {
      const dataDir = fresh('data');
      const run = await recorded('restore', backupDir, '--data-dir', dataDir);
      expect(run.code).toBe(0);
      const renames = run.ops.filter((op) => op[0] === 'rename');
      expect(renames).toEqual([['rename', expect.stringContaining(`/.${basename(dataDir)}.restore-`), dataDir]]);
      const staging = (renames[0] as ['rename', string, string])[1];
      const flushed = fsynced(run);
      for (const file of readManifestOf(backupDir).files) expect(flushed).toContain(join(staging, file.path));
      expect(flushed).toContain(staging);
      const renameAt = run.ops.findIndex((op) => op[0] === 'rename');
      expect(run.ops.slice(renameAt + 1)).toContainEqual(['fsync', dirname(dataDir)]);
    }, 60_000);
  });

  describe('a restore interrupted between its renames', () => {
    it('into an empty data dir: one rename over it, so there is no moment without a data dir', async () => {
      const dataDir = fresh('data');
      mkdirSync(dataDir, { mode: 0o700 });
      const run = await recorded('restore', backupDir, '--data-dir', dataDir);
      expect(run.code).toBe(0);
      expect(run.ops.filter((op) => op[0] !== 'fsync').map((op) => [op[0], op.at(-1)])).toEqual([['rename', dataDir]]);
    }, 60_000);

    it('over a full data dir with --force: the two renames back to back, nothing between them', async () => {
      const dataDir = fresh('data');
      expect(await citus('restore', backupDir, '--data-dir', dataDir)).toMatchObject({ code: 0 });
      const run = await recorded('restore', backupDir, '--data-dir', dataDir, '--force');
      expect(run.code).toBe(0);
      const first = run.ops.findIndex((op) => op[0] === 'rename');
      expect(run.ops.slice(first, first + 2)).toEqual([
        ['rename', dataDir, expect.stringMatching(new RegExp(`^${dataDir}\\.before-restore-`))],
        ['rename', expect.stringContaining(`/.${basename(dataDir)}.restore-`), dataDir],
      ]);
    }, 60_000);

    it('the platform will not start, exit 2, on a missing data dir with a restore left beside it', async () => {
      const dataDir = fresh('data');
      const staging = join(dirname(dataDir), `.${basename(dataDir)}.restore-2026-01-01T00-00-00-000Z`);
      mkdirSync(staging);
      const started = await platformExit(dataDir);
      expect(started.code).toBe(2);
      expect(started.stderr).toBe(
        `${dataDir} is missing or empty, but ${staging} beside it is left from a citus restore that did not finish. ` +
          'Starting here would make a new data dir with a new CA, which no device certificate chains to. ' +
          `Run citus restore again, or move the .before-restore- dir back to ${dataDir}; ` +
          'remove the leftovers only if a fresh platform is really what you want.\n',
      );
      expect(existsSync(dataDir)).toBe(false);
    }, 60_000);

    it('nor on an empty data dir with the replaced one beside it', async () => {
      const dataDir = fresh('data');
      mkdirSync(dataDir);
      const aside = `${dataDir}.before-restore-2026-01-01T00-00-00-000Z`;
      mkdirSync(aside);
      const started = await platformExit(dataDir);
      expect(started.code).toBe(2);
      expect(started.stderr).toContain(`${dataDir} is missing or empty, but ${aside} beside it is left from a citus restore`);
      expect(readdirSync(dataDir)).toEqual([]);
    }, 60_000);

    it('a data dir with contents starts whatever lies beside it: --force leaves the replaced dir for good', () => {
      const dataDir = fresh('data');
      mkdirSync(dataDir);
      mkdirSync(`${dataDir}.before-restore-2026-01-01T00-00-00-000Z`);
      expect(() => refuseInterruptedRestore(dataDir)).toThrow(InterruptedRestoreError);
      writeFileSync(join(dataDir, 'devices.db'), '');
      expect(() => refuseInterruptedRestore(dataDir)).not.toThrow();
    });
  });

  it('never restores a mode beyond the owner, whatever the manifest says', async () => {
    const backup = copyOfBackup();
    const manifest = readManifestOf(backup);
    for (const entry of [...manifest.files, ...manifest.directories]) entry.mode = '0777';
    writeManifestOf(backup, manifest);
    const dataDir = fresh('data');
    expect(await citus('restore', backup, '--data-dir', dataDir)).toMatchObject({ code: 0 });
    expect(statSync(join(dataDir, 'ca', 'ca.key')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'ca')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'devices.db')).mode & 0o777).toBe(0o700);
  }, 60_000);
});
