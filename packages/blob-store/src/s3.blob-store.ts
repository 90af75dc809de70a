import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { checkBlobKey, type BlobStore, type PutOptions, type StoredBlob } from './blob-store.port.js';
import { spoolToFile } from './spool.js';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Prepended to every key, e.g. `citus/`; empty for the bucket's root. */
  prefix?: string;
  /** Where uploads are spooled before they go to S3 (made if missing; the OS's temporary directory by default). */
  spoolDir?: string;
}

/**
 * Blobs as S3 objects (AWS mode). A body is spooled to a local file first, counted and hashed,
 * then sent with its length and SHA-256 checksum, so S3 itself refuses bytes that changed on the
 * way and a size limit holds before anything is uploaded.
 */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly s3: S3Client,
    private readonly options: S3BlobStoreOptions,
  ) {}

  async put(key: string, body: AsyncIterable<Uint8Array>, options: PutOptions): Promise<StoredBlob> {
    const objectKey = this.objectKey(key);
    const spoolDir = this.options.spoolDir ?? tmpdir();
    await mkdir(spoolDir, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(join(spoolDir, 'citus-blob-'));
    try {
      const file = join(dir, randomUUID());
      const written = await spoolToFile(file, body, options.maxBytes);
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: objectKey,
          Body: createReadStream(file),
          ContentLength: written.size,
          ChecksumSHA256: Buffer.from(written.sha256, 'hex').toString('base64'),
          ContentType: options.contentType ?? 'application/octet-stream',
        }),
      );
      return { key, ...written };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    try {
      const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      return answer.Body instanceof Readable ? answer.Body : undefined;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
  }

  async removeLeftovers(): Promise<void> {
    if (this.options.spoolDir) await rm(this.options.spoolDir, { recursive: true, force: true });
  }

  private objectKey(key: string): string {
    return `${this.options.prefix ?? ''}${checkBlobKey(key)}`;
  }
}
