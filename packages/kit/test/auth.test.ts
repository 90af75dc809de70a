import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { Role } from '@citus/contracts';
import {
  accessOf,
  authenticate,
  bearerResolver,
  createJwtVerifier,
  localKeys,
  remoteKeys,
  requirePlatformAdmin,
  requireRole,
  WORKSPACE_HEADER,
  workspaceOf,
  type AccessContext,
  type AccessResolver,
  type TokenVerifier,
} from '../src/auth.js';
import { notFound } from '../src/errors.js';
import { createHttpApp, finishHttpApp } from '../src/http.js';
import { createLogger } from '../src/logger.js';
import { serve, type Running } from './support/http-server.js';

const ISSUER = 'urn:citus:test';
const AUDIENCE = 'citus-api';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

async function signingKey(alg: 'ES256' | 'RS256', kid: string): Promise<{ privateKey: Key; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A token factory: valid by default, each claim overridable. */
function mint(key: { privateKey: Key; jwk: JWK }, claims: JWTPayload & { exp?: number } = {}) {
  const alg = key.jwk.alg as string;
  let jwt = new SignJWT({}).setProtectedHeader({ alg, kid: key.jwk.kid as string }).setIssuedAt();
  jwt = jwt.setIssuer(claims.iss ?? ISSUER).setAudience(claims.aud ?? AUDIENCE);
  if (claims.sub !== '') jwt = jwt.setSubject(claims.sub ?? 'usr_alice');
  jwt = jwt.setExpirationTime(claims.exp ?? '5m');
  return jwt.sign(key.privateKey);
}

/** In-memory access resolver: Alice is a `user` of `default`, Root a platform admin without workspace. */
const resolver: AccessResolver = {
  async resolve(subject, slug) {
    const people: Record<string, AccessContext> = {
      usr_alice: {
        userId: 'usr_alice',
        username: 'alice',
        platformAdmin: false,
        workspace: { id: 'ws_default', slug: 'default', role: 'user' as Role },
      },
      usr_root: { userId: 'usr_root', username: 'root', platformAdmin: true, workspace: null },
      'auth0|abc123': {
        userId: 'usr_auth0',
        username: 'auth0-user',
        platformAdmin: false,
        workspace: { id: 'ws_default', slug: 'default', role: 'admin' },
      },
    };
    const access = people[subject];
    if (access && slug && slug !== access.workspace?.slug) throw notFound('workspace');
    return access ?? null;
  },
};

function protectedApp(verifier: TokenVerifier) {
  const app = createHttpApp({ logger: createLogger({ level: 'silent' }) });
  const auth = authenticate(bearerResolver(verifier, resolver));
  app.get('/me', auth, (req, res) => {
    res.json(accessOf(req));
  });
  app.get('/workspace', auth, (req, res) => {
    res.json(workspaceOf(req));
  });
  app.get('/admin', auth, requireRole('admin'), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/platform', auth, requirePlatformAdmin, (_req, res) => {
    res.json({ ok: true });
  });
  finishHttpApp(app);
  return app;
}

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function codeOf(response: Response) {
  return { status: response.status, code: ((await response.json()) as { error?: { code: string } }).error?.code };
}

describe('authenticate with createJwtVerifier (local JWKS)', () => {
  let key: { privateKey: Key; jwk: JWK };
  let server: Running;

  beforeAll(async () => {
    key = await signingKey('ES256', 'test-key');
    server = await serve(protectedApp(createJwtVerifier({ keys: localKeys({ keys: [key.jwk] }), issuer: ISSUER, audience: AUDIENCE })));
  });
  afterAll(() => server.close());

  it('lets a valid token in and sets the access context', async () => {
    const response = await get(`${server.url}/me`, bearer(await mint(key)));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ userId: 'usr_alice', workspace: { slug: 'default', role: 'user' } });
  });

  it.each([
    ['no authorization header', {}],
    ['a Basic scheme', { authorization: 'Basic YWxpY2U6c2VjcmV0' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['a bearer with spaces', { authorization: 'Bearer abc def' }],
    ['a token that is no JWT', { authorization: 'Bearer not-a-jwt' }],
  ])('answers 401 for %s', async (_why, headers) => {
    expect(await codeOf(await get(`${server.url}/me`, headers))).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('answers 401 for a token signed by another key', async () => {
    const stranger = await signingKey('ES256', 'test-key');
    expect(await codeOf(await get(`${server.url}/me`, bearer(await mint(stranger))))).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('answers 401 for a token whose signature was tampered with', async () => {
    const [header, , signature] = (await mint(key)).split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'usr_root', iss: ISSUER, aud: AUDIENCE, exp: 9e9 })).toString('base64url');
    const forged = `${header}.${payload}.${signature}`;
    expect(await codeOf(await get(`${server.url}/platform`, bearer(forged)))).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('answers 401 for an unsigned (alg none) token', async () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${part({ alg: 'none' })}.${part({ sub: 'usr_root', iss: ISSUER, aud: AUDIENCE, exp: 9e9 })}.`;
    expect(await codeOf(await get(`${server.url}/me`, bearer(unsigned)))).toEqual({ status: 401, code: 'unauthorized' });
  });

  it.each([
    ['a wrong audience', { aud: 'someone-else' }],
    ['a wrong issuer', { iss: 'https://evil.example/' }],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 60 }],
    ['no subject', { sub: '' }],
  ])('answers 401 for %s', async (_why, claims) => {
    expect(await codeOf(await get(`${server.url}/me`, bearer(await mint(key, claims))))).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('answers 401 for a valid token of an unknown user', async () => {
    expect(await codeOf(await get(`${server.url}/me`, bearer(await mint(key, { sub: 'usr_ghost' }))))).toEqual({
      status: 401,
      code: 'unauthorized',
    });
  });

  it('answers 404 for a workspace the caller does not belong to', async () => {
    const headers = { ...bearer(await mint(key)), [WORKSPACE_HEADER]: 'someone-elses' };
    expect(await codeOf(await get(`${server.url}/me`, headers))).toEqual({ status: 404, code: 'not_found' });
  });

  it('answers 403 when the caller lacks the required workspace role', async () => {
    expect(await codeOf(await get(`${server.url}/admin`, bearer(await mint(key))))).toEqual({ status: 403, code: 'forbidden' });
  });

  it('answers 403 when a non platform admin calls a platform admin route', async () => {
    expect(await codeOf(await get(`${server.url}/platform`, bearer(await mint(key))))).toEqual({ status: 403, code: 'forbidden' });
  });

  it('lets a platform admin through requirePlatformAdmin', async () => {
    expect((await get(`${server.url}/platform`, bearer(await mint(key, { sub: 'usr_root' })))).status).toBe(200);
  });

  it('answers 404 from workspaceOf when the caller acts in no workspace', async () => {
    expect(await codeOf(await get(`${server.url}/workspace`, bearer(await mint(key, { sub: 'usr_root' }))))).toEqual({
      status: 404,
      code: 'not_found',
    });
  });
});

describe('accessOf / workspaceOf outside authenticate', () => {
  it('throws unauthorized when no access context was set', () => {
    const req = {} as express.Request;
    expect(() => accessOf(req)).toThrow(expect.objectContaining({ code: 'unauthorized' }));
  });

  it('ranks roles: a developer passes `user` and `developer`, not `admin`', () => {
    const req = {
      access: { userId: 'u', username: 'u', platformAdmin: false, workspace: { id: 'w', slug: 'w', role: 'developer' } },
    } as unknown as express.Request;
    expect(workspaceOf(req, 'user').id).toBe('w');
    expect(workspaceOf(req, 'developer').id).toBe('w');
    expect(() => workspaceOf(req, 'admin')).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });
});

describe('Auth0 mode (Auth0 mock)', () => {
  const AUTH0_ISSUER = 'https://tenant.example/';
  let key: { privateKey: Key; jwk: JWK };
  let jwks: Running;
  let api: Running;
  let jwksRequests = 0;

  beforeAll(async () => {
    key = await signingKey('RS256', 'auth0-key-1');
    // Stands in for https://tenant.example/.well-known/jwks.json, which cannot be reached here.
    const jwksApp = express();
    jwksApp.get('/.well-known/jwks.json', (_req, res) => {
      jwksRequests++;
      res.json({ keys: [key.jwk] });
    });
    jwks = await serve(jwksApp);
    const verifier = createJwtVerifier({
      keys: remoteKeys(new URL(`${jwks.url}/.well-known/jwks.json`)),
      issuer: AUTH0_ISSUER,
      audience: AUDIENCE,
    });
    api = await serve(protectedApp(verifier));
  });
  afterAll(async () => {
    await api.close();
    await jwks.close();
  });

  it('accepts an RS256 token whose key comes from the remote JWKS', async () => {
    const token = await mint(key, { iss: AUTH0_ISSUER, sub: 'auth0|abc123' });
    const response = await get(`${api.url}/admin`, bearer(token));
    expect(response.status).toBe(200);
    expect(jwksRequests).toBeGreaterThanOrEqual(1);
  });

  it('refuses a token from the embedded issuer', async () => {
    const token = await mint(key, { sub: 'auth0|abc123' });
    expect(await codeOf(await get(`${api.url}/me`, bearer(token)))).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('refuses a token signed with a key the JWKS does not publish', async () => {
    const other = await signingKey('RS256', 'auth0-key-2');
    const token = await mint(other, { iss: AUTH0_ISSUER, sub: 'auth0|abc123' });
    expect(await codeOf(await get(`${api.url}/me`, bearer(token)))).toEqual({ status: 401, code: 'unauthorized' });
  });
});
