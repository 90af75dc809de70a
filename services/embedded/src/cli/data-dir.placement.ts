import { accessSync, constants, existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CommandError } from './cli.errors.js';

const LAYOUT =
  'mount the volume one level up and point CITUS_DATA_DIR at a dir inside it, as the image, docker-compose.yaml ' +
  'and infra/k8s do: the volume at /var/lib/citus, CITUS_DATA_DIR=/var/lib/citus/data';

/**
 * Refuses, before anything is read or written, a data dir that `citus restore` could not swap:
 * the restore stages beside the data dir and renames it into place, so the parent must be
 * writable and on the data dir's file system. A data dir that is itself a mount point fails both
 * ways at the end (EBUSY renaming it, EXDEV from a staging dir outside it), after the whole copy.
 */
export function checkDataDirPlacement(dataDir: string, assertWritable: (dir: string) => void = (dir) => accessSync(dir, constants.W_OK)): void {
  const parent = dirname(dataDir);
  if (existsSync(dataDir) && isMountPoint(dataDir)) {
    throw new CommandError(
      `cannot restore to ${dataDir}: it is a mount point, and a restore replaces the data dir by renaming ` +
        `a copy staged beside it; ${LAYOUT}`,
    );
  }
  try {
    mkdirSync(parent, { recursive: true });
    assertWritable(parent);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
    throw new CommandError(
      `cannot restore to ${dataDir}: its parent ${parent} is not writable (${code}), and a restore stages ` +
        `its copy there and renames it into place; ${LAYOUT}`,
    );
  }
}

function isMountPoint(dir: string): boolean {
  const real = realpathSync(dir);
  if (real === dirname(real)) return true;
  if (statSync(real).dev !== statSync(dirname(real)).dev) return true;
  // A bind mount from the same file system keeps the device number; the mount table still knows it.
  return mountPoints().has(real);
}

/** The mount points of this process's mount namespace (proc(5), /proc/pid/mountinfo field 5). */
function mountPoints(): Set<string> {
  let table: string;
  try {
    table = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return new Set();
  }
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    // Spaces, tabs, newlines and backslashes in paths are written as octal escapes.
    .map((field) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  return new Set(points);
}
