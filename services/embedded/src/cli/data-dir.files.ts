import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
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
  /**
   * What cannot be backed up, each with the reason: sockets, FIFOs, devices, dangling links, links
   * back into a dir above them. A backup refuses to go on while any is there, rather than leave out
   * a CA key or a database without a word.
   */
  unsupported: string[];
}

/**
 * SQLite's side files: a backup copies each database whole through SQLite, which reads what the
 * WAL holds, so the -wal, -shm and -journal files themselves are neither needed nor consistent.
 */
const SIDE_FILE = /-(wal|shm|journal)$/;

/**
 * What a backup of the data dir holds, directories before their contents, in a stable order.
 * Symbolic links are followed (an operator may link `ca/` to a secrets mount, say) and listed as
 * what they point at, so a restore makes real files and dirs of them.
 */
export function listDataDir(dataDir: string): DataDirListing {
  const listing: DataDirListing = { entries: [], unsupported: [] };
  walk(dataDir, '', listing, [realpathSync(dataDir)]);
  return listing;
}

function walk(root: string, prefix: string, listing: DataDirListing, ancestors: string[]): void {
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const path = prefix ? `${prefix}/${name}` : name;
    if ((!prefix && name === DATA_DIR_LOCK_FILE) || SIDE_FILE.test(name)) continue;
    const full = join(root, path);
    const stat = followed(full);
    if (!stat) {
      listing.unsupported.push(`${path} (a symbolic link that leads to no file)`);
    } else if (stat.isDirectory()) {
      const real = realpathSync(full);
      if (ancestors.includes(real)) {
        listing.unsupported.push(`${path} (a symbolic link to ${real}, a dir that holds it)`);
        continue;
      }
      listing.entries.push({ path, kind: 'directory', mode: stat.mode & 0o777 });
      walk(root, path, listing, [...ancestors, real]);
    } else if (stat.isFile()) {
      listing.entries.push({ path, kind: name.endsWith('.db') ? 'sqlite' : 'file', mode: stat.mode & 0o777 });
    } else {
      listing.unsupported.push(`${path} (neither a regular file nor a directory)`);
    }
  }
}

/** The entry's own stat, or its target's if it is a symbolic link; undefined for a link to nothing. */
function followed(path: string): Stats | undefined {
  const own = lstatSync(path);
  if (!own.isSymbolicLink()) return own;
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ELOOP: links that point at each other lead nowhere either.
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw error;
  }
}
