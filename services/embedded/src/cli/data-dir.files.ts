import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR_LOCK_FILE } from '@citus/sqlite';

export interface DataDirEntry {
  /** Relative to the data dir, `/`-separated. */
  path: string;
  kind: 'directory' | 'sqlite' | 'file';
  mode: number;
}

export interface DataDirListing {
  entries: DataDirEntry[];
  /** Neither regular files nor directories (symlinks, sockets): not backed up. */
  skipped: string[];
}

/**
 * SQLite's side files: a backup copies each database whole through SQLite, which reads what the
 * WAL holds, so the -wal, -shm and -journal files themselves are neither needed nor consistent.
 */
const SIDE_FILE = /-(wal|shm|journal)$/;

/** What a backup of the data dir holds, directories before their contents, in a stable order. */
export function listDataDir(dataDir: string): DataDirListing {
  const listing: DataDirListing = { entries: [], skipped: [] };
  walk(dataDir, '', listing);
  return listing;
}

function walk(root: string, prefix: string, listing: DataDirListing): void {
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const path = prefix ? `${prefix}/${name}` : name;
    if ((!prefix && name === DATA_DIR_LOCK_FILE) || SIDE_FILE.test(name)) continue;
    const stat = lstatSync(join(root, path));
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      listing.entries.push({ path, kind: 'directory', mode });
      walk(root, path, listing);
    } else if (stat.isFile()) {
      listing.entries.push({ path, kind: name.endsWith('.db') ? 'sqlite' : 'file', mode });
    } else {
      listing.skipped.push(path);
    }
  }
}

/** True when the dir holds nothing but, perhaps, its lock file. */
export function isEmptyDataDir(dir: string): boolean {
  return readdirSync(dir).every((name) => name === DATA_DIR_LOCK_FILE);
}
