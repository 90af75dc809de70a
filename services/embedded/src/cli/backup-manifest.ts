import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';

export const MANIFEST_FILE = 'manifest.json';

/** A path inside the backup or data dir, `/`-separated; never absolute, never climbing out. */
const InsidePath = z
  .string()
  .min(1)
  .refine((path) => !isAbsolute(path) && !path.split('/').some((part) => part === '..' || part === '.' || part === ''), {
    message: 'must be a relative path inside the backup',
  });
/** Permission bits as octal text, e.g. "0600", as `ls` and `chmod` speak of them. */
const Mode = z.string().regex(/^0[0-7]{3}$/, 'must be permission bits in octal, e.g. 0600');

export const modeText = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
export const modeBits = (text: string): number => parseInt(text, 8);

export const BackupFileEntry = z.object({
  path: InsidePath,
  /** `sqlite` files were copied with SQLite's online backup API; `file`s byte for byte. */
  kind: z.enum(['sqlite', 'file']),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mode: Mode,
  /** For `sqlite` files: the highest migration version each module recorded in it. */
  schema: z.record(z.string(), z.number().int().positive()).optional(),
});
export type BackupFileEntry = z.infer<typeof BackupFileEntry>;

export const BackupManifest = z.object({
  format: z.literal(1),
  createdAt: z.iso.datetime(),
  /** The version of @citus/embedded that made the backup. */
  codeVersion: z.string().min(1),
  sourceDataDir: z.string().min(1),
  directories: z.array(z.object({ path: InsidePath, mode: Mode })),
  files: z.array(BackupFileEntry),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

export class ManifestError extends Error {}

export function writeManifest(backupDir: string, manifest: BackupManifest): void {
  writeFileSync(join(backupDir, MANIFEST_FILE), `${JSON.stringify(BackupManifest.parse(manifest), null, 2)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
}

export function readManifest(backupDir: string): BackupManifest {
  const file = join(backupDir, MANIFEST_FILE);
  // The manifest is written last: without it the backup was interrupted.
  if (!existsSync(file)) throw new ManifestError(`${file} is missing: not a complete Citus backup`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ManifestError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = BackupManifest.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ManifestError(`${file} is not a Citus backup manifest:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** SHA-256 of a file, hex, streamed (SQLite files can be large). */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
