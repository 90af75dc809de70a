import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BlobTooLargeError, S3BlobStore } from '../src/index.js';

// S3 cannot run on this machine: a stand-in S3Client records the commands the store sends.
async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function bytesOf(body: unknown): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString();
}

function fakeS3(answer: (command: unknown) => unknown = () => ({})) {
  const sent: Array<{ command: unknown; body?: string }> = [];
  const client = {
    send: async (command: unknown) => {
      const entry: { command: unknown; body?: string } = { command };
      if (command instanceof PutObjectCommand) entry.body = await bytesOf(command.input.Body);
      sent.push(entry);
      return answer(command);
    },
  } as unknown as S3Client;
  return { client, sent };
}

describe('S3BlobStore (S3 mocked: a recording client stands in for AWS)', () => {
  it('uploads the spooled body under the prefix with its length and SHA-256 checksum', async () => {
    const { client, sent } = fakeS3();
    const store = new S3BlobStore(client, { bucket: 'citus-artifacts', prefix: 'prod/' });
    const stored = await store.put('ws_a/releases/rel_1', chunks('firmware ', 'v2'), { maxBytes: 100, contentType: 'application/octet-stream' });
    const digest = createHash('sha256').update('firmware v2').digest();
    expect(stored).toEqual({ key: 'ws_a/releases/rel_1', size: 11, sha256: digest.toString('hex') });
    const put = sent[0]?.command as PutObjectCommand;
    expect(put).toBeInstanceOf(PutObjectCommand);
    expect(put.input).toMatchObject({ Bucket: 'citus-artifacts', Key: 'prod/ws_a/releases/rel_1', ContentLength: 11, ChecksumSHA256: digest.toString('base64') });
    expect(sent[0]?.body).toBe('firmware v2');
  });

  it('sends nothing for a body over the limit, and leaves no spooled file either way', async () => {
    const root = mkdtempSync(join(tmpdir(), 'citus-spool-test-'));
    try {
      const { client, sent } = fakeS3();
      const spoolDir = join(root, 'spool');
      const store = new S3BlobStore(client, { bucket: 'b', spoolDir });
      await expect(store.put('ws_a/big', chunks('0123456789', 'x'), { maxBytes: 10 })).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(sent).toEqual([]);
      await store.put('ws_a/small', chunks('ok'), { maxBytes: 10 });
      expect(sent).toHaveLength(1);
      expect(readdirSync(spoolDir)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads an object as a stream, answers undefined for NoSuchKey, and deletes by key', async () => {
    const { client, sent } = fakeS3((command) => {
      if (command instanceof GetObjectCommand && command.input.Key === 'ws_a/there') return { Body: Readable.from([Buffer.from('bytes')]) };
      if (command instanceof GetObjectCommand) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
      return {};
    });
    const store = new S3BlobStore(client, { bucket: 'b' });
    expect(await bytesOf(await store.get('ws_a/there'))).toBe('bytes');
    expect(await store.get('ws_a/missing')).toBeUndefined();
    await store.delete('ws_a/there');
    expect(sent.at(-1)?.command).toBeInstanceOf(DeleteObjectCommand);
    expect((sent.at(-1)?.command as DeleteObjectCommand).input).toEqual({ Bucket: 'b', Key: 'ws_a/there' });
  });

  it('refuses a key that would climb out of its prefix before calling S3', async () => {
    const { client, sent } = fakeS3();
    const store = new S3BlobStore(client, { bucket: 'b', prefix: 'tenant-a/' });
    await expect(store.get('../tenant-b/secret')).rejects.toThrow(/not a blob key/);
    expect(sent).toEqual([]);
  });
});
