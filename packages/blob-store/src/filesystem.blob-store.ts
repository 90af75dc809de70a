import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { checkBlobKey, type BlobStore, type PutOptions, type StoredBlob } from './blob-store.port.js';
import { spoolToFile } from './spool.js';

/**
 * Blobs as files under `root` (embedded mode: `{dataDir}/blobs`). A put writes to `root/.partial`
 * and renames into place once synced, so a reader sees a whole blob or none, also after a crash.
 */
export class FilesystemBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  async put(key: string, body: AsyncIterable<Uint8Array>, options: PutOptions): Promise<StoredBlob> {
    const target = this.pathOf(key);
    const partials = join(this.root, '.partial');
    await mkdir(partials, { recursive: true, mode: 0o700 });
    const partial = join(partials, randomUUID());
    const written = await spoolToFile(partial, body, options.maxBytes);
    try {
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { key, ...written };
  }

  async get(key: string): Promise<Readable | undefined> {
    const path = this.pathOf(key);
    const found = await stat(path).catch(() => undefined);
    return found?.isFile() ? createReadStream(path) : undefined;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async removeLeftovers(): Promise<void> {
    await rm(join(this.root, '.partial'), { recursive: true, force: true });
  }

  private pathOf(key: string): string {
    return join(this.root, checkBlobKey(key));
  }
}
