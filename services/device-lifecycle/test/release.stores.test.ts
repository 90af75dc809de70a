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

const createdEvent = (releaseId: string) => ({ workspaceId: 'ws_a', releaseId, at: aRelease().createdAt, type: 'release.created' as const });

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
    repository.insert(aRelease(), []);
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
    repository.insert(aRelease(), []);
    expect(repository.claimUpload('ws_a', aRelease().releaseId)).toBe(true);
    const signature = { algorithm: 'Ed25519' as const, keyId: 'k', value: 'c2ln' };
    const first = { sha256: 'a'.repeat(64), size: 3, blobKey: 'ws_a/releases/rel_1', signature, readyAt: '2026-11-27T08:01:00.000Z' };
    const ready = { workspaceId: 'ws_a', releaseId: aRelease().releaseId, at: first.readyAt, type: 'release.ready' as const };
    expect(repository.complete('ws_a', aRelease().releaseId, first, ready)).toBe(true);
    expect(repository.complete('ws_a', aRelease().releaseId, { ...first, sha256: 'b'.repeat(64) }, ready)).toBe(false);
    expect(repository.get('ws_a', aRelease().releaseId)).toMatchObject({ status: 'ready', sha256: 'a'.repeat(64), blobKey: 'ws_a/releases/rel_1' });
    expect(repository.complete('ws_b', aRelease().releaseId, first, { ...ready, workspaceId: 'ws_b' })).toBe(false);
    // Only the completion that happened is in the history.
    expect(repository.eventsOf('ws_a', aRelease().releaseId, 0, 10).map((event) => event.type)).toEqual(['release.ready']);
    expect(repository.eventsOf('ws_b', aRelease().releaseId, 0, 10)).toEqual([]);
  });

  it("keeps a thing's first download of a release, once", () => {
    const repository = new SqliteReleaseRepository(db);
    repository.insert(aRelease(), [createdEvent(aRelease().releaseId)]);
    const download = (thingName: string, at: string) => repository.recordFirstDownload({ workspaceId: 'ws_a', releaseId: aRelease().releaseId, at, type: 'release.downloaded', thingName });
    for (let i = 0; i < 50; i++) download('meter-1', `2026-11-27T08:0${i % 10}:00.000Z`);
    download('meter-2', '2026-11-27T08:30:00.000Z');
    expect(repository.eventsOf('ws_a', aRelease().releaseId, 0, 100).map(({ type, thingName, at }) => ({ type, thingName, at }))).toEqual([
      { type: 'release.created', thingName: undefined, at: aRelease().createdAt },
      { type: 'release.downloaded', thingName: 'meter-1', at: '2026-11-27T08:00:00.000Z' },
      { type: 'release.downloaded', thingName: 'meter-2', at: '2026-11-27T08:30:00.000Z' },
    ]);
  });

  it('lists one workspace, newest first, and keeps a version once per kind', () => {
    const repository = new SqliteReleaseRepository(db);
    repository.insert(aRelease(), []);
    repository.insert(aRelease({ releaseId: 'rel_000000000000000000000002', version: '1.1.0', createdAt: '2026-11-27T09:00:00.000Z' }), []);
    repository.insert(aRelease({ workspaceId: 'ws_b', releaseId: 'rel_000000000000000000000003' }), []);
    expect(repository.list('ws_a').map((release) => release.version)).toEqual(['1.1.0', '1.0.0']);
    expect(() => repository.insert(aRelease({ releaseId: 'rel_000000000000000000000004' }), [createdEvent('rel_000000000000000000000004')])).toThrow(/UNIQUE/);
    // The refused release left no history behind.
    expect(repository.eventsOf('ws_a', 'rel_000000000000000000000004', 0, 10)).toEqual([]);
  });

  it('gives releases made before histories were kept a history from what they say (migration 3)', () => {
    db.close();
    const file = join(dir, 'old-releases.db');
    const old = openDatabase(file, { module: 'releases', migrations: RELEASE_MIGRATIONS.slice(0, 1) });
    const body = (ready: boolean) => JSON.stringify({ releaseId: 'x', kind: 'artifact', version: '0.9.0', status: ready ? 'ready' : 'awaiting-artifact', createdAt: '2026-01-01T00:00:00.000Z', ...(ready ? { readyAt: '2026-01-01T00:05:00.000Z', signature: { keyId: 'k1' } } : {}) });
    old.prepare(`INSERT INTO releases VALUES ('ws_a', 'rel_a', 'artifact', '0.9.0', '2026-01-01T00:00:00.000Z', ?, 'ready', 'k')`).run(body(true));
    old.prepare(`INSERT INTO releases VALUES ('ws_a', 'rel_b', 'artifact', '0.9.1', '2026-01-02T00:00:00.000Z', ?, 'awaiting-artifact', NULL)`).run(body(false));
    old.close();
    db = openDatabase(file, { module: 'releases', migrations: RELEASE_MIGRATIONS });
    const repository = new SqliteReleaseRepository(db);
    expect(repository.eventsOf('ws_a', 'rel_a', 0, 10).map(({ type, at, detail }) => ({ type, at, detail }))).toEqual([
      { type: 'release.created', at: '2026-01-01T00:00:00.000Z', detail: 'artifact 0.9.0' },
      { type: 'release.ready', at: '2026-01-01T00:05:00.000Z', detail: 'signed with key k1' },
    ]);
    expect(repository.eventsOf('ws_a', 'rel_b', 0, 10).map((event) => event.type)).toEqual(['release.created']);
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
