import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { BlobTooLargeError, FilesystemBlobStore } from '../src/index.js';

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function read(stream: AsyncIterable<Uint8Array> | undefined): Promise<string | undefined> {
  if (!stream) return undefined;
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString();
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('FilesystemBlobStore (real files)', () => {
  let root: string;
  let store: FilesystemBlobStore;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'citus-blobs-'));
    store = new FilesystemBlobStore(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stores a streamed body whole, with its size and SHA-256, and reads it back', async () => {
    const stored = await store.put('ws_a/releases/rel_1', chunks('firm', 'ware ', 'v2'), { maxBytes: 1024 });
    expect(stored).toEqual({ key: 'ws_a/releases/rel_1', size: 11, sha256: sha256('firmware v2') });
    expect(await read(await store.get('ws_a/releases/rel_1'))).toBe('firmware v2');
    expect(statSync(join(root, 'ws_a/releases/rel_1')).mode & 0o777).toBe(0o600);
  });

  it('replaces a blob whole on a second put, and deletes it (a missing one is no error)', async () => {
    await store.put('ws_a/a', chunks('one'), { maxBytes: 10 });
    await store.put('ws_a/a', chunks('two!'), { maxBytes: 10 });
    expect(await read(await store.get('ws_a/a'))).toBe('two!');
    await store.delete('ws_a/a');
    await store.delete('ws_a/a');
    expect(await store.get('ws_a/a')).toBeUndefined();
  });

  it('refuses a body over the limit and keeps nothing of it, not even a partial file', async () => {
    await expect(store.put('ws_a/big', chunks('12345', '67890', 'x'), { maxBytes: 10 })).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await store.get('ws_a/big')).toBeUndefined();
    expect(readdirSync(join(root, '.partial'))).toEqual([]);
  });

  it('keeps an earlier blob when a replacing put fails', async () => {
    await store.put('ws_a/a', chunks('kept'), { maxBytes: 10 });
    await expect(store.put('ws_a/a', chunks('far too long'), { maxBytes: 10 })).rejects.toThrow(/larger than 10 bytes/);
    expect(await read(await store.get('ws_a/a'))).toBe('kept');
  });

  it.each(['../outside', 'ws_a/../../etc/passwd', '/abs', 'ws_a//x', 'ws_a/./x', 'Upper/case', 'ws_a/x..y', ''])('refuses the key %j', async (key) => {
    await expect(store.put(key, chunks('x'), { maxBytes: 10 })).rejects.toThrow(/not a blob key/);
    await expect(store.get(key)).rejects.toThrow(/not a blob key/);
  });
});
