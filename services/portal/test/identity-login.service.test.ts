import { createJwtVerifier, localKeys } from '@citus/kit';
import { ADMIN_PASSWORD, AUDIENCE, identityFixture, ISSUER, USER_PASSWORD, type IdentityFixture } from './support/identity-fixture.js';

const userRows = (fixture: IdentityFixture) =>
  fixture.db.prepare('SELECT username, subject, password_hash AS passwordHash, platform_admin AS platformAdmin FROM users').all() as Array<{
    username: string;
    subject: string;
    passwordHash: string | null;
    platformAdmin: number;
  }>;

describe('IdentityService bootstrap and login (embedded identity provider)', () => {
  let fixture: IdentityFixture;
  beforeEach(async () => {
    fixture = await identityFixture();
  });
  afterEach(() => fixture.destroy());

  const noGenerated = (password: string) => {
    throw new Error(`no password should be generated, got one of ${password.length} characters`);
  };

  it('creates the default workspace and a platform admin that administers it', async () => {
    expect(await fixture.service.bootstrap({ password: ADMIN_PASSWORD }, noGenerated)).toBe(true);
    const [admin] = userRows(fixture);
    expect(admin).toMatchObject({ username: 'admin', platformAdmin: 1 });
    const access = await fixture.service.resolve(admin?.subject as string, undefined);
    expect(access).toMatchObject({ username: 'admin', platformAdmin: true, workspace: { slug: 'default', role: 'admin' } });
    expect(fixture.service.me(access!).memberships).toEqual([expect.objectContaining({ workspaceSlug: 'default', role: 'admin' })]);
  });

  it('stores the password scrypt-hashed, never in plain text', async () => {
    await fixture.service.bootstrap({ password: ADMIN_PASSWORD }, noGenerated);
    const [admin] = userRows(fixture);
    expect(admin?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    const everything = JSON.stringify(fixture.db.prepare('SELECT * FROM users').all());
    expect(everything).not.toContain(ADMIN_PASSWORD);
  });

  it('without a configured password makes one, hands it over once and stores only its hash', async () => {
    const handed: string[] = [];
    expect(await fixture.service.bootstrap({}, (password) => handed.push(password))).toBe(true);
    expect(handed).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{20}$/)]);
    expect(JSON.stringify(fixture.db.prepare('SELECT * FROM users').all())).not.toContain(handed[0]);
    await expect(fixture.service.issueToken('admin', handed[0] as string)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  // The generated password is handed over only after `admin` is stored: when keeping it fails
  // (a full disk), `admin` exists with a password nobody knows, and later starts skip it.
  it('does not lose the generated password when keeping it fails', async () => {
    const failing = () => {
      throw new Error('ENOSPC: no space left on device');
    };
    await expect(fixture.service.bootstrap({}, failing)).rejects.toThrow('ENOSPC');
    const handed: string[] = [];
    await fixture.service.bootstrap({}, (password) => handed.push(password));
    expect(handed).toHaveLength(1);
  });

  it('salts each hash: the same password twice gives two hashes', async () => {
    await fixture.person('ann');
    await fixture.person('bob');
    const [ann, bob] = userRows(fixture);
    expect(ann?.passwordHash).not.toBe(bob?.passwordHash);
  });

  it('is idempotent: a later start neither adds nor changes anything', async () => {
    await fixture.service.bootstrap({ password: ADMIN_PASSWORD }, noGenerated);
    const [before] = userRows(fixture);
    expect(await fixture.service.bootstrap({ password: 'another-Passw0rd-here' }, noGenerated)).toBe(false);
    expect(await fixture.service.bootstrap({}, noGenerated)).toBe(false);
    expect(userRows(fixture)).toEqual([before]);
    expect(fixture.db.prepare('SELECT slug FROM workspaces').pluck().all()).toEqual(['default']);
  });

  it('issues a token that the shared verifier accepts for the user', async () => {
    await fixture.service.bootstrap({ password: ADMIN_PASSWORD }, noGenerated);
    const response = await fixture.service.issueToken('admin', ADMIN_PASSWORD);
    expect(response).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
    const verifier = createJwtVerifier({ keys: localKeys(fixture.issuer!.jwks), issuer: ISSUER, audience: AUDIENCE });
    const principal = await verifier.verify(response.access_token);
    expect(principal.subject).toBe(userRows(fixture)[0]?.subject);
  });

  it('gives the same answer for an unknown user and a wrong password', async () => {
    await fixture.service.bootstrap({ password: ADMIN_PASSWORD }, noGenerated);
    const expected = expect.objectContaining({ code: 'unauthorized', message: 'wrong username or password' });
    await expect(fixture.service.issueToken('admin', 'not-the-password')).rejects.toEqual(expected);
    await expect(fixture.service.issueToken('nobody', ADMIN_PASSWORD)).rejects.toEqual(expected);
  });

  it('refuses a username that is taken', async () => {
    await fixture.person('ann');
    await expect(fixture.service.createUser({ username: 'ann', password: USER_PASSWORD, platformAdmin: false })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('needs a password for a user of the embedded provider', async () => {
    await expect(fixture.service.createUser({ username: 'ann', platformAdmin: false })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('refuses a second workspace with the same slug', async () => {
    fixture.service.createWorkspace({ slug: 'lab', name: 'Lab' });
    expect(() => fixture.service.createWorkspace({ slug: 'lab', name: 'Other lab' })).toThrow(expect.objectContaining({ code: 'conflict' }));
  });
});

describe('IdentityService in Auth0 mode', () => {
  let fixture: IdentityFixture;
  beforeEach(async () => {
    fixture = await identityFixture('auth0');
  });
  afterEach(() => fixture.destroy());

  it('creates no admin without an Auth0 subject, only the default workspace', async () => {
    expect(await fixture.service.bootstrap({ password: ADMIN_PASSWORD }, () => undefined)).toBe(false);
    expect(userRows(fixture)).toEqual([]);
    expect(fixture.db.prepare('SELECT slug FROM workspaces').pluck().all()).toEqual(['default']);
  });

  it('links the first platform admin to its Auth0 subject, without a password', async () => {
    const handed: string[] = [];
    expect(await fixture.service.bootstrap({ auth0Subject: 'auth0|root' }, (password) => handed.push(password))).toBe(true);
    expect(handed).toEqual([]);
    expect(userRows(fixture)).toEqual([{ username: 'admin', subject: 'auth0|root', passwordHash: null, platformAdmin: 1 }]);
    expect(await fixture.service.resolve('auth0|root', undefined)).toMatchObject({
      platformAdmin: true,
      workspace: { slug: 'default', role: 'admin' },
    });
  });

  it('does not sign anyone in: Auth0 does', async () => {
    await expect(fixture.service.issueToken('admin', ADMIN_PASSWORD)).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('links a user to its Auth0 subject, and resolves by it', async () => {
    const ann = await fixture.person('ann', { memberships: { lab: 'developer' } });
    expect(ann.subject).toBe('auth0|ann');
    expect(await ann.access()).toMatchObject({ username: 'ann', workspace: { slug: 'lab', role: 'developer' } });
    expect(userRows(fixture)[0]?.passwordHash).toBeNull();
  });

  it('needs an externalId and refuses one that is already linked', async () => {
    await expect(fixture.service.createUser({ username: 'ann', platformAdmin: false })).rejects.toMatchObject({ code: 'bad_request' });
    await fixture.service.createUser({ username: 'ann', externalId: 'auth0|x', platformAdmin: false });
    await expect(fixture.service.createUser({ username: 'bob', externalId: 'auth0|x', platformAdmin: false })).rejects.toMatchObject({
      code: 'conflict',
    });
  });
});
