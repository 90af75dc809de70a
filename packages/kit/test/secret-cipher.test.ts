import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AesGcmSecretCipher, loadOrCreateSecretKey } from '../src/secret-cipher.js';

const BUILT = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/secret-cipher.js');

describe('loadOrCreateSecretKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-secret-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a 32-byte key, mode 0600, once: later calls read the same key and leave no draft behind', () => {
    const file = join(dir, 'secrets.key');
    const first = loadOrCreateSecretKey(file);
    expect(first).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecretKey(file)).toEqual(first);
    expect(readdirSync(dir)).toEqual(['secrets.key']);
  });

  it('gives every caller racing on a new file the one key that won, from threads at once', async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npm run build first`);
    const file = join(dir, 'secrets.key');
    // Threads, not calls in turn: each runs the whole load-or-create while the others may be half-way.
    const source = `const { workerData, parentPort } = require('node:worker_threads');
      import(${JSON.stringify(BUILT)}).then(({ loadOrCreateSecretKey }) => parentPort.postMessage(loadOrCreateSecretKey(workerData).toString('hex')));`;
    const keys = await Promise.all(
      Array.from({ length: 4 }, () => {
        const worker = new Worker(source, { eval: true, workerData: file });
        return new Promise<string>((resolve, reject) => worker.once('message', resolve).once('error', reject));
      }),
    );
    expect(new Set(keys)).toEqual(new Set([readFileSync(file).toString('hex')]));
    expect(readdirSync(dir)).toEqual(['secrets.key']);
  });

  it('refuses a key file others can read, or of another size', () => {
    const open = join(dir, 'open.key');
    writeFileSync(open, Buffer.alloc(32, 1));
    chmodSync(open, 0o644);
    expect(() => loadOrCreateSecretKey(open)).toThrow(/readable by group or others: chmod 600 it/);
    const short = join(dir, 'short.key');
    writeFileSync(short, Buffer.alloc(16, 1), { mode: 0o600 });
    expect(() => loadOrCreateSecretKey(short)).toThrow(/must hold exactly 32 bytes/);
  });
});

describe('AesGcmSecretCipher', () => {
  const cipher = new AesGcmSecretCipher(Buffer.alloc(32, 7));

  it('opens what it sealed, with a fresh nonce each time, and never holds the value in clear', () => {
    const first = cipher.seal('xoxb-secret', 'deployment:dep_1:secret:SLACK_TOKEN');
    const second = cipher.seal('xoxb-secret', 'deployment:dep_1:secret:SLACK_TOKEN');
    expect(first.nonce).toHaveLength(12);
    expect(first.tag).toHaveLength(16);
    expect(first.nonce.equals(second.nonce)).toBe(false);
    expect(first.ciphertext.toString('utf8')).not.toContain('xoxb');
    expect(cipher.open(first, 'deployment:dep_1:secret:SLACK_TOKEN')).toBe('xoxb-secret');
    expect(cipher.open(cipher.seal('', 'empty'), 'empty')).toBe('');
  });

  it('refuses another context, another key, a changed byte and a shortened tag', () => {
    const sealed = cipher.seal('xoxb-secret', 'deployment:dep_1:api-key');
    expect(() => cipher.open(sealed, 'deployment:dep_2:api-key')).toThrow();
    expect(() => new AesGcmSecretCipher(Buffer.alloc(32, 8)).open(sealed, 'deployment:dep_1:api-key')).toThrow();
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => cipher.open({ ...sealed, ciphertext: flipped }, 'deployment:dep_1:api-key')).toThrow();
    expect(() => cipher.open({ ...sealed, tag: sealed.tag.subarray(0, 4) }, 'deployment:dep_1:api-key')).toThrow();
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new AesGcmSecretCipher(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
