import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { BlobTooLargeError } from './blob-store.port.js';

/**
 * Writes a body to `file` while counting and hashing it, then fsyncs: what both stores do before
 * they make a blob visible (a rename, an upload with its checksum). A body over `maxBytes` stops
 * at once; the partial file is removed either way the write fails.
 */
export async function spoolToFile(file: string, body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const handle = await open(file, 'wx', 0o600);
  try {
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
      hash.update(chunk);
      await handle.write(chunk);
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(file, { force: true });
    throw error;
  }
  await handle.close();
  return { size, sha256: hash.digest('hex') };
}
