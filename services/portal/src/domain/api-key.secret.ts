import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_KEY_PATTERN } from '@citus/contracts';

/**
 * A key's secret is 256 random bits, so one unsalted SHA-256 is enough to store it: unlike a
 * password there is nothing to guess, and a slow hash would only slow down every request.
 */
export const hashSecret = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** A new key for the id: the full text shown once, and the hash that is kept. */
export function newKey(id: string): { key: string; secretHash: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  return { key: `citus_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and secret of a well-formed key; `undefined` for anything else. */
export function parseKey(key: string): { id: string; secret: string } | undefined {
  const match = API_KEY_PATTERN.exec(key);
  return match?.[1] && match[2] ? { id: match[1], secret: match[2] } : undefined;
}

/** Compares in constant time, so the answer's timing says nothing about how much of a guess was right. */
export function secretMatches(secret: string, stored: Buffer): boolean {
  const hash = hashSecret(secret);
  return hash.length === stored.length && timingSafeEqual(hash, stored);
}
