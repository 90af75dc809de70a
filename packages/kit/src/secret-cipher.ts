import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

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
  if (!existsSync(file)) createKeyFile(file);
  if ((statSync(file).mode & 0o077) !== 0) throw new Error(`secret key file ${file} is readable by group or others: chmod 600 it`);
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) throw new Error(`secret key file ${file} must hold exactly ${KEY_BYTES} bytes`);
  return key;
}

/** Writes a new key beside `file` and links it in; when another caller's key is there first, keeps that one. */
function createKeyFile(file: string): void {
  const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.new`;
  try {
    writeFileSync(draft, randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600, flush: true });
    chmodSync(draft, 0o600); // the umask may have narrowed it further, never widened: this makes it exact
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft, { force: true }); // force: the draft may never have been made (the dir refused it)
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
