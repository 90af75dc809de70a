import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

// Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or typed is hard to get wrong.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = 4;
const GROUP_LENGTH = 4;

/** A one-time code of 80 random bits, shown as `XXXX-XXXX-XXXX-XXXX`. */
export function newActivationCode(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let group = '';
    for (let i = 0; i < GROUP_LENGTH; i++) group += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

/** Case, dashes and spaces do not matter; the easily confused O, I and L read as 0, 1 and 1. */
export function normaliseActivationCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replaceAll('O', '0').replace(/[IL]/g, '1');
}

/**
 * SHA-256 is enough here: the code carries 80 random bits and a device locks after a few wrong
 * tries, so no slow hash is needed against guessing.
 */
export function hashActivationCode(code: string): string {
  return createHash('sha256').update(normaliseActivationCode(code)).digest('hex');
}

export function activationCodeMatches(code: string, storedHash: string): boolean {
  const given = Buffer.from(hashActivationCode(code), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
