import type { Readable } from 'node:stream';

/** What a stored blob is: its size and the SHA-256 of its bytes (hex), computed while it was written. */
export interface StoredBlob {
  key: string;
  size: number;
  sha256: string;
}

export interface PutOptions {
  /** A body longer than this is refused (BlobTooLargeError) and nothing is stored. */
  maxBytes: number;
  contentType?: string;
}

/**
 * Port: immutable files by key (software release artifacts). The filesystem in embedded mode, S3
 * in AWS mode. A put stores all of the body or nothing; a key holds one blob (a second put
 * replaces it whole).
 */
export interface BlobStore {
  put(key: string, body: AsyncIterable<Uint8Array>, options: PutOptions): Promise<StoredBlob>;
  /** The blob's bytes, or undefined when there is no such blob. */
  get(key: string): Promise<Readable | undefined>;
  /** Removes the blob; a missing one is no error. */
  delete(key: string): Promise<void>;
  /** At start, before any put: removes what puts a stopped process left half done (partial or spooled files). */
  removeLeftovers(): Promise<void>;
}

export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the upload is larger than ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

/**
 * Keys are paths of lower-case names (`{workspaceId}/releases/{releaseId}`): no empty, `.` or `..`
 * level, so a key can never name a file outside the store or an S3 key another prefix owns.
 */
const KEY = /^[a-z0-9][a-z0-9_.-]{0,127}(\/[a-z0-9][a-z0-9_.-]{0,127}){0,7}$/;

export function checkBlobKey(key: string): string {
  if (!KEY.test(key) || key.split('/').some((level) => level === '.' || level === '..' || level.includes('..'))) {
    throw new Error(`not a blob key: ${JSON.stringify(key.slice(0, 200))}`);
  }
  return key;
}
