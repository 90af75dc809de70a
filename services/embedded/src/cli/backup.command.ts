import { chmodSync, constants, copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { backupDatabase } from '@citus/sqlite';
import { MANIFEST_FILE, modeText, sha256OfFile, writeManifest, type BackupFileEntry, type BackupManifest } from './backup-manifest.js';
import { CommandError } from './cli.errors.js';
import { listDataDir, type DataDirEntry } from './data-dir.files.js';
import { fsyncPath } from './fsync.files.js';

export type Progress = (line: string) => void;

export interface BackupOptions {
  dataDir: string;
  target: string;
  codeVersion: string;
  progress: Progress;
}

/**
 * `citus backup`: a copy of the data dir that is safe to take while the platform runs. SQLite
 * files go through SQLite's online backup, each one consistent in itself; other files (CA key,
 * token key, secrets key) are copied with their modes. The manifest is written last, once every
 * copy is on disk, so an interrupted backup (a power cut included) has none and cannot be restored.
 */
export async function backup(options: BackupOptions): Promise<BackupManifest> {
  const dataDir = resolve(options.dataDir);
  const target = resolve(options.target);
  checkPaths(dataDir, target);
  const { entries, unsupported } = listDataDir(dataDir);
  if (unsupported.length > 0) {
    throw new CommandError(
      `cannot back up ${dataDir}: what follows is not a regular file or directory (after following links), ` +
        `and leaving it out could lose a key or a database; move it out of the data dir or replace it with what it stands for:\n  ${unsupported.join('\n  ')}`,
    );
  }
  mkdirSync(target, { recursive: true, mode: 0o700 });
  options.progress(`backing up ${dataDir} to ${target}`);

  const files: BackupFileEntry[] = [];
  const count = entries.filter((entry) => entry.kind !== 'directory').length;
  for (const entry of entries) {
    if (entry.kind === 'directory') {
      mkdirSync(join(target, entry.path), { mode: entry.mode });
      chmodSync(join(target, entry.path), entry.mode);
      continue;
    }
    const file = await copyEntry(dataDir, target, entry);
    files.push(file);
    options.progress(`[${files.length}/${count}] ${file.path} (${describe(file)})`);
  }
  const manifest: BackupManifest = {
    format: 1,
    createdAt: new Date().toISOString(),
    codeVersion: options.codeVersion,
    sourceDataDir: dataDir,
    directories: entries.filter((entry) => entry.kind === 'directory').map(({ path, mode }) => ({ path, mode: modeText(mode) })),
    files,
  };
  // Every copy and every dir entry on disk before the manifest says the backup is complete.
  for (const directory of manifest.directories.toReversed()) fsyncPath(join(target, directory.path));
  fsyncPath(target);
  writeManifest(target, manifest);
  fsyncPath(join(target, MANIFEST_FILE));
  fsyncPath(target);
  fsyncPath(dirname(target));
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  options.progress(`backup complete: ${files.length} files, ${formatBytes(bytes)}`);
  return manifest;
}

function checkPaths(dataDir: string, target: string): void {
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) throw new CommandError(`no data dir at ${dataDir}`);
  if (target === dataDir || target.startsWith(`${dataDir}${sep}`) || dataDir.startsWith(`${target}${sep}`)) {
    throw new CommandError(`the backup target ${target} must lie outside the data dir ${dataDir}`);
  }
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new CommandError(`${target} is not empty: back up into a new or empty directory`);
  }
}

async function copyEntry(dataDir: string, target: string, entry: DataDirEntry): Promise<BackupFileEntry> {
  const source = join(dataDir, entry.path);
  const copy = join(target, entry.path);
  let schema: BackupFileEntry['schema'];
  if (entry.kind === 'sqlite') {
    schema = (await backupDatabase(source, copy)).schema;
  } else {
    // Created with the source's mode from the first byte, whatever the umask.
    copyFileSync(source, copy, constants.COPYFILE_EXCL);
  }
  chmodSync(copy, entry.mode);
  fsyncPath(copy);
  return {
    path: relative(target, copy).split(sep).join('/'),
    kind: entry.kind === 'sqlite' ? 'sqlite' : 'file',
    size: statSync(copy).size,
    sha256: await sha256OfFile(copy),
    mode: modeText(entry.mode),
    ...(schema ? { schema } : {}),
  };
}

function describe(file: BackupFileEntry): string {
  const size = formatBytes(file.size);
  if (!file.schema) return size;
  const versions = Object.entries(file.schema).map(([module, version]) => `${module} v${version}`);
  return versions.length ? `${size}, ${versions.join(', ')}` : size;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
