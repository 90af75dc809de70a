import { ApiKey, CreatedApiKey } from '@citus/contracts';
import { AppError } from '@citus/kit';
import { SqliteApiKeyRepository } from '../src/adapters/sqlite/api-key.repository.js';
import { ApiKeyService } from '../src/app/api-key.service.js';
import { hashSecret } from '../src/domain/api-key.secret.js';
import { identityFixture, type IdentityFixture } from './support/identity-fixture.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');

describe('ApiKeyService', () => {
  let fixture: IdentityFixture;
  let keys: ApiKeyService;
  let clock: number;
  let lab: string;
  let zoo: string;

  beforeEach(async () => {
    fixture = await identityFixture();
    clock = T0;
    keys = new ApiKeyService(new SqliteApiKeyRepository(fixture.db), () => clock);
    lab = fixture.service.createWorkspace({ slug: 'lab', name: 'Lab' }).id;
    zoo = fixture.service.createWorkspace({ slug: 'zoo', name: 'Zoo' }).id;
  });
  afterEach(() => fixture.destroy());

  const refusal = async (attempt: Promise<unknown>) => {
    const error = await attempt.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    return { code: (error as AppError).code, message: (error as AppError).message };
  };
  const create = (scopes: ApiKey['scopes'] = ['telemetry:read'], expiresAt?: string) =>
    keys.create(lab, 'user:usr_ann', { name: 'nightly export', scopes, ...(expiresAt ? { expiresAt } : {}) });

  it('shows the key once, in the citus_{id}_{secret} form, and lists it without it', () => {
    const created = create();
    expect(CreatedApiKey.parse(created)).toMatchObject({ name: 'nightly export', scopes: ['telemetry:read'], createdBy: 'user:usr_ann' });
    expect(created.key).toMatch(new RegExp(`^citus_${created.id}_[A-Za-z0-9_-]{43}$`));
    const [listed] = keys.list(lab);
    const { key: _key, ...withoutKey } = created;
    expect(listed).toEqual(withoutKey);
    expect(JSON.stringify(keys.list(lab))).not.toContain(created.key.split('_').at(-1));
    expect(keys.list(zoo)).toEqual([]);
  });

  it('keeps only the SHA-256 of the secret', () => {
    const created = create();
    const secret = created.key.slice(`citus_${created.id}_`.length);
    const row = fixture.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(created.id) as Record<string, unknown>;
    expect(row.secret_hash).toEqual(hashSecret(secret));
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it('resolves a key to its workspace, the role user and its scopes', async () => {
    const created = create(['telemetry:read', 'devices:read'], '2030-06-01T00:00:00+02:00');
    const access = await keys.resolve(created.key);
    expect(access).toEqual({
      userId: created.id,
      username: `api-key:${created.id}`,
      platformAdmin: false,
      workspace: { id: lab, slug: 'lab', role: 'user' },
      apiKey: { id: created.id, scopes: ['telemetry:read', 'devices:read'] },
      expiresAt: Date.parse('2030-05-31T22:00:00Z'),
    });
    expect(created.expiresAt).toBe('2030-05-31T22:00:00.000Z');
    expect(await keys.resolve(created.key, 'lab')).toEqual(access);
  });

  it('answers not_found when the request names another workspace', async () => {
    expect(await refusal(keys.resolve(create().key, 'zoo'))).toEqual({ code: 'not_found', message: 'workspace not found' });
  });

  it.each([
    ['a wrong secret', (key: string) => `${key.slice(0, -4)}AAAA`],
    ['an unknown id', (key: string) => key.replace(/apk_[0-9a-f]{24}/, `apk_${'0'.repeat(24)}`)],
    ['a malformed key', (key: string) => key.slice(0, -1)],
    ['a bearer token', () => 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln'],
  ])('refuses %s with the same 401', async (_case, garble) => {
    expect(await refusal(keys.resolve(garble(create().key)))).toEqual({ code: 'unauthorized', message: 'invalid, revoked or expired API key' });
  });

  it('refuses a revoked key from then on', async () => {
    const created = create();
    keys.revoke(lab, created.id);
    expect(await refusal(keys.resolve(created.key))).toMatchObject({ code: 'unauthorized' });
    expect(keys.list(lab)[0]?.revokedAt).toBe(new Date(T0).toISOString());
    clock += 1000;
    keys.revoke(lab, created.id);
    expect(keys.list(lab)[0]?.revokedAt).toBe(new Date(T0).toISOString());
  });

  it('refuses a key once it expires', async () => {
    const created = create(['telemetry:read'], new Date(T0 + 60_000).toISOString());
    clock = T0 + 59_999;
    expect((await keys.resolve(created.key)).workspace?.slug).toBe('lab');
    clock = T0 + 60_000;
    expect(await refusal(keys.resolve(created.key))).toMatchObject({ code: 'unauthorized' });
  });

  it('refuses to make a key that has expired already', () => {
    expect(() => create(['telemetry:read'], new Date(T0).toISOString())).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });

  it("answers not_found for revoking another workspace's key or none", () => {
    const created = create();
    expect(() => keys.revoke(zoo, created.id)).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => keys.revoke(lab, `apk_${'0'.repeat(24)}`)).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(keys.list(lab)[0]?.revokedAt).toBeNull();
  });

  describe('as the app key issuer', () => {
    it('issues a key of the workspace with the scopes asked, and revokes it', async () => {
      const issued = await keys.issueAppKey({ workspaceId: zoo, scopes: ['shadows:read'], label: 'pump-watch' });
      const access = await keys.resolve(issued.key);
      expect(access).toMatchObject({ workspace: { slug: 'zoo', role: 'user' }, apiKey: { id: issued.keyId, scopes: ['shadows:read'] } });
      expect(keys.list(zoo)).toEqual([expect.objectContaining({ id: issued.keyId, name: 'pump-watch', createdBy: 'app:pump-watch', expiresAt: null })]);
      await keys.revokeAppKey(issued.keyId);
      expect(await refusal(keys.resolve(issued.key))).toMatchObject({ code: 'unauthorized' });
    });

    it('answers not_found for a workspace that does not exist', async () => {
      const attempt = keys.issueAppKey({ workspaceId: 'ws_gone', scopes: ['shadows:read'], label: 'x' });
      expect(await refusal(attempt)).toEqual({ code: 'not_found', message: 'workspace not found' });
    });
  });
});
