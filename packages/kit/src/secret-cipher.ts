import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const KEY_BYTES = 32;
const NONCE_BYTES = 12; // NIST SP 800-38D: 96-bit IVs for GCM
const TAG_BYTES = 16;

/** A secret value sealed with AES-256-GCM; only the cipher that sealed it opens it. */
export interface SealedSecret {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/**
 * Seals and opens secret values. `context` (whose value it is, and for what) is bound to the
 * sealed value as associated data, so a value copied into another row does not open there.
 */
export interface SecretCipher {
  seal(value: string, context: string): SealedSecret;
  /** Throws when the value was tampered with or sealed under another key or context. */
  open(sealed: SealedSecret, context: string): string;
}

/**
 * The data key from `file`, made (32 random bytes, mode 0600) on first start. A key file of
 * another size, or readable by others, stops the start: secrets must not be sealed under a weak
 * or exposed key.
 *
 * Several modules (and processes) of one data dir call this on the same file. The key is written
 * whole to a file of its own and then hard-linked to `file`, which fails when `file` exists: so
 * exactly one caller's key wins, and no caller ever reads a key half written.
 */
export function loadOrCreateSecretKey(file: string): Buffer {
  const key = loadOrCreateKeyFile(file, () => randomBytes(KEY_BYTES));
  if (key.length !== KEY_BYTES) throw new Error(`secret key file ${file} must hold exactly ${KEY_BYTES} bytes`);
  return key;
}

/**
 * A key file's bytes: read, or made by `make` on first use (mode 0600). A key readable by group or
 * others stops the caller. Made keys are written whole to a file of their own and hard-linked to
 * `file`, which fails when `file` exists: exactly one caller's key wins, and none reads half a key.
 */
export function loadOrCreateKeyFile(file: string, make: () => Buffer | string): Buffer {
  if (!existsSync(file)) createKeyFile(file, make());
  if ((statSync(file).mode & 0o077) !== 0) throw new Error(`secret key file ${file} is readable by group or others: chmod 600 it`);
  return readFileSync(file);
}

/** A directory only the platform's user may enter (0700), for key files; made if missing. */
export function privateDirectory(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** Writes a new key beside `file` and links it in; when another caller's key is there first, keeps that one. */
function createKeyFile(file: string, content: Buffer | string): void {
  const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.new`;
  try {
    writeFileSync(draft, content, { flag: 'wx', mode: 0o600, flush: true });
    chmodSync(draft, 0o600); // the umask may have narrowed it further, never widened: this makes it exact
    linkSync(draft, file);
    syncDirectory(dirname(file)); // the link survives a power cut
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft, { force: true }); // force: the draft may never have been made (the dir refused it)
  }
}

function syncDirectory(dir: string): void {
  const handle = openSync(dir, 'r');
  try {
    fsyncSync(handle);
  } finally {
    closeSync(handle);
  }
}

/** AES-256-GCM with a fresh random nonce per value; the context is the associated data. */
export class AesGcmSecretCipher implements SecretCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`an AES-256 key has ${KEY_BYTES} bytes`);
  }

  seal(value: string, context: string): SealedSecret {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return { nonce, ciphertext, tag: cipher.getAuthTag() };
  }

  open(sealed: SealedSecret, context: string): string {
    // The tag's length is fixed: GCM would otherwise check a tampered row's tag cut to 4 bytes as is.
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  }
}
