import { chmodSync, constants, copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  DATA_DIR_LOCK_FILE,
  DataDirInUseError,
  isEmptyDataDir,
  lockDataDir,
  newerSchemas,
  replacedDataDir,
  restoreStagingDir,
  schemaVersionsOfFile,
  type DataDirLock,
} from '@citus/sqlite';
import { modeBits, readManifest, sha256OfFile, type BackupFileEntry, type BackupManifest } from './backup-manifest.js';
import type { Progress } from './backup.command.js';
import { CommandError } from './cli.errors.js';
import { checkDataDirPlacement } from './data-dir.placement.js';
import { fsyncPath } from './fsync.files.js';
import type { SchemaCatalog } from './schema-catalog.js';

export interface RestoreOptions {
  backupDir: string;
  dataDir: string;
  /** Restore over a non-empty data dir, which is moved aside (never deleted). */
  force: boolean;
  progress: Progress;
  /** The schema versions this code knows, per SQLite file. */
  schemaCatalog: () => Promise<SchemaCatalog>;
}

export interface RestoreResult {
  /** Where the data dir that was replaced now is, if there was one. */
  movedAside?: string;
}

/**
 * `citus restore`: stages the backup beside the data dir, checks every staged file against the
 * manifest's size and SHA-256 and every SQLite file's schema against this code, and only then
 * swaps the staged dir in. The data dir's lock is held throughout, so neither a running platform
 * nor one starting meanwhile can see a half-restored dir.
 */
export async function restore(options: RestoreOptions): Promise<RestoreResult> {
  const backupDir = resolve(options.backupDir);
  const dataDir = resolve(options.dataDir);
  checkDataDirPlacement(dataDir);
  const manifest = readManifest(backupDir);
  const locks: DataDirLock[] = [];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const staging = restoreStagingDir(dataDir, stamp);
  try {
    if (existsSync(dataDir)) locks.push(lock(dataDir));
    const replacing = existsSync(dataDir) && !isEmptyDataDir(dataDir);
    if (replacing && !options.force) {
      throw new CommandError(`${dataDir} is not empty: restore into an empty data dir, or pass --force to move it aside first`);
    }
    options.progress(`restoring ${backupDir} (made ${manifest.createdAt} by Citus ${manifest.codeVersion}) to ${dataDir}`);
    mkdirSync(staging, { mode: 0o700 });
    locks.push(lock(staging));
    await stage(backupDir, staging, manifest, options.progress);
    refuseNewerSchemas(staging, manifest, await options.schemaCatalog());
    const movedAside = replacing ? replacedDataDir(dataDir, stamp) : undefined;
    swapIn(staging, dataDir, movedAside);
    if (movedAside) options.progress(`the replaced data dir is now ${movedAside}`);
    options.progress(`restore complete: ${manifest.files.length} files`);
    return movedAside ? { movedAside } : {};
  } catch (error) {
    // Only the staging dir is removed: it holds copies this command made, nothing else.
    if (existsSync(staging)) rmSync(staging, { recursive: true, force: true });
    throw error;
  } finally {
    for (const held of locks) held.release();
  }
}

function lock(dir: string): DataDirLock {
  try {
    return lockDataDir(dir);
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      throw new CommandError(`refusing to restore: ${error.message} (a platform must not run on a data dir being restored)`);
    }
    throw error;
  }
}

/**
 * The manifest's modes, but never more than the owner's bits: the data dir holds keys, and a
 * manifest is only a text file anyone with the backup could have edited.
 */
const ownerOnly = (mode: string): number => modeBits(mode) & 0o700;

async function stage(backupDir: string, staging: string, manifest: BackupManifest, progress: Progress): Promise<void> {
  for (const directory of manifest.directories) {
    const mode = ownerOnly(directory.mode);
    mkdirSync(join(staging, directory.path), { mode });
    chmodSync(join(staging, directory.path), mode);
  }
  let done = 0;
  for (const file of manifest.files) {
    const source = join(backupDir, file.path);
    if (!existsSync(source)) throw new CommandError(`the backup is damaged: ${file.path} is listed in the manifest but missing`);
    const copy = join(staging, file.path);
    // Copied by the kernel and checksummed as a stream: memory stays flat whatever the file's size.
    copyFileSync(source, copy, constants.COPYFILE_EXCL);
    chmodSync(copy, ownerOnly(file.mode));
    fsyncPath(copy);
    await verify(copy, file);
    progress(`[${++done}/${manifest.files.length}] ${file.path} verified`);
  }
  for (const directory of manifest.directories.toReversed()) fsyncPath(join(staging, directory.path));
  chmodSync(staging, 0o700);
  fsyncPath(staging);
}

/** Checks the staged copy itself, so a fault in the backup or in the copy is caught alike. */
async function verify(copy: string, file: BackupFileEntry): Promise<void> {
  const size = statSync(copy).size;
  const sha256 = await sha256OfFile(copy);
  if (size !== file.size || sha256 !== file.sha256) {
    throw new CommandError(
      `the backup is damaged or was altered: ${file.path} has ${size} bytes and SHA-256 ${sha256}, ` +
        `the manifest says ${file.size} bytes and ${file.sha256}`,
    );
  }
}

function refuseNewerSchemas(staging: string, manifest: BackupManifest, catalog: SchemaCatalog): void {
  const problems: string[] = [];
  for (const file of manifest.files) {
    if (file.kind !== 'sqlite') continue;
    // Read from the verified copy, not the manifest: the copy is what the platform will open.
    const found = schemaVersionsOfFile(join(staging, file.path));
    for (const newer of newerSchemas(found, catalog.get(file.path) ?? {})) {
      problems.push(`${file.path}: module "${newer.module}" is at version ${newer.fileVersion}, this code knows up to ${newer.codeVersion}`);
    }
  }
  if (problems.length > 0) {
    throw new CommandError(
      `refusing to restore: this backup was written by a newer Citus; upgrade, or restore a backup made by this version.\n  ${problems.join('\n  ')}`,
    );
  }
}

/**
 * Renames on one file system: the data dir is either the old one or the restored one, never a mix.
 * Into an empty data dir it is one rename(2), which replaces an empty dir in a single step; over a
 * full one, two renames back to back with nothing between them. If a crash falls between those two,
 * the platform refuses to start (refuseInterruptedRestore) rather than make a fresh data dir.
 */
function swapIn(staging: string, dataDir: string, movedAside: string | undefined): void {
  if (movedAside) {
    renameSync(dataDir, movedAside);
    try {
      renameSync(staging, dataDir);
    } catch (error) {
      renameSync(movedAside, dataDir);
      throw error;
    }
  } else {
    if (existsSync(dataDir)) rmSync(join(dataDir, DATA_DIR_LOCK_FILE), { force: true });
    renameSync(staging, dataDir);
  }
  fsyncPath(dirname(dataDir));
}
