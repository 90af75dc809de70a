import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { FileCodeSigner } from '../src/adapters/signing/file.code-signer.js';
import { RELEASE_MIGRATIONS, SqliteReleaseRepository } from '../src/adapters/sqlite/release.repository.js';
import type { ReleaseRecord } from '../src/domain/release.model.js';

const aRelease = (overrides: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  workspaceId: 'ws_a',
  releaseId: 'rel_000000000000000000000001',
  kind: 'artifact',
  version: '1.0.0',
  status: 'awaiting-artifact',
  createdAt: '2026-11-27T08:00:00.000Z',
  ...overrides,
});

describe('release stores (a real SQLite file, real key files)', () => {
  let dir: string;
  let db: SqliteDatabase;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-releases-'));
    db = openDatabase(join(dir, 'releases.db'), { module: 'releases', migrations: RELEASE_MIGRATIONS });
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets one upload claim a release, gives back a failed or abandoned claim, and completes only a claimed release', () => {
    const repository = new SqliteReleaseRepository(db);
    repository.insert(aRelease());
    const id = aRelease().releaseId;
    expect(repository.claimUpload('ws_a', id)).toBe(true);
    expect(repository.claimUpload('ws_a', id)).toBe(false);
    repository.releaseUpload('ws_a', id);
    expect(repository.claimUpload('ws_b', id)).toBe(false);
    expect(repository.claimUpload('ws_a', id)).toBe(true);
    expect(repository.releaseAbandonedUploads()).toBe(1);
    expect(repository.claimUpload('ws_a', id)).toBe(true);
  });

  it('completes a release once: a second completion (a racing upload) is refused', () => {
    const repository = new SqliteReleaseRepository(db);
    repository.insert(aRelease());
    expect(repository.claimUpload('ws_a', aRelease().releaseId)).toBe(true);
    const signature = { algorithm: 'Ed25519' as const, keyId: 'k', value: 'c2ln' };
    const first = { sha256: 'a'.repeat(64), size: 3, blobKey: 'ws_a/releases/rel_1', signature, readyAt: '2026-11-27T08:01:00.000Z' };
    expect(repository.complete('ws_a', aRelease().releaseId, first)).toBe(true);
    expect(repository.complete('ws_a', aRelease().releaseId, { ...first, sha256: 'b'.repeat(64) })).toBe(false);
    expect(repository.get('ws_a', aRelease().releaseId)).toMatchObject({ status: 'ready', sha256: 'a'.repeat(64), blobKey: 'ws_a/releases/rel_1' });
    expect(repository.complete('ws_b', aRelease().releaseId, first)).toBe(false);
  });

  it('lists one workspace, newest first, and keeps a version once per kind', () => {
    const repository = new SqliteReleaseRepository(db);
    repository.insert(aRelease());
    repository.insert(aRelease({ releaseId: 'rel_000000000000000000000002', version: '1.1.0', createdAt: '2026-11-27T09:00:00.000Z' }));
    repository.insert(aRelease({ workspaceId: 'ws_b', releaseId: 'rel_000000000000000000000003' }));
    expect(repository.list('ws_a').map((release) => release.version)).toEqual(['1.1.0', '1.0.0']);
    expect(() => repository.insert(aRelease({ releaseId: 'rel_000000000000000000000004' }))).toThrow(/UNIQUE/);
  });

  it('keeps a workspace key across restarts (same key id), 0600 in a 0700 directory, one key per workspace', () => {
    const keys = join(dir, 'signing');
    const signature = new FileCodeSigner(keys).sign('ws_a', 'manifest');
    const again = new FileCodeSigner(keys);
    const publicKey = again.publicKey('ws_a');
    expect(publicKey.keyId).toBe(signature.keyId);
    expect(verify(null, Buffer.from('manifest'), createPublicKey(publicKey.publicKeyPem), Buffer.from(signature.value, 'base64'))).toBe(true);
    expect(statSync(keys).mode & 0o777).toBe(0o700);
    expect(statSync(join(keys, 'ws_a.pem')).mode & 0o777).toBe(0o600);
    expect(again.publicKey('ws_b').keyId).not.toBe(publicKey.keyId);
    expect(() => again.sign('../ws_a', 'x')).toThrow(/not a workspace id/);
  });
});
