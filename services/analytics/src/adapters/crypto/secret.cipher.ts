import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { SealedSecret, SecretCipher } from '../../domain/secret.port.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 12; // NIST SP 800-38D: 96-bit IVs for GCM

/**
 * The data key from `file`, made (32 random bytes, mode 0600) on first start. A key file of
 * another size, or readable by others, stops the start: secrets must not be sealed under a weak
 * or exposed key.
 */
export function loadOrCreateSecretKey(file: string): Buffer {
  try {
    writeFileSync(file, randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 });
    chmodSync(file, 0o600); // the umask may have narrowed it further, never widened: this makes it exact
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if ((statSync(file).mode & 0o077) !== 0) throw new Error(`secret key file ${file} is readable by group or others: chmod 600 it`);
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) throw new Error(`secret key file ${file} must hold exactly ${KEY_BYTES} bytes`);
  return key;
}

/** AES-256-GCM with a fresh random nonce per value; the context is the associated data. */
export class AesGcmSecretCipher implements SecretCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`an AES-256 key has ${KEY_BYTES} bytes`);
  }

  seal(value: string, context: string): SealedSecret {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return { nonce, ciphertext, tag: cipher.getAuthTag() };
  }

  open(sealed: SealedSecret, context: string): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.nonce);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  }
}
