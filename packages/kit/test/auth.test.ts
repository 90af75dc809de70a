import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { Role } from '@citus/contracts';
import {
  acceptAnyApiKey,
  accessOf,
  authenticate,
  bearerResolver,
  createJwtVerifier,
  localKeys,
  remoteKeys,
  requirePlatformAdmin,
  requireRole,
  requireScope,
  WORKSPACE_HEADER,
  workspaceOf,
  type AccessContext,
  type AccessResolver,
  type ApiKeyResolver,
  type TokenVerifier,
} from '../src/auth.js';
import { AppError, notFound } from '../src/errors.js';
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

describe('authenticate with API keys', () => {
  const KEY = `citus_apk_${'1'.repeat(24)}_${'k'.repeat(43)}`;
  /** Stands in for the portal: one key of `default`, allowed to read telemetry. */
  const resolveKey: ApiKeyResolver = async (key, slug) => {
    if (key !== KEY) throw new AppError('unauthorized', 'invalid, revoked or expired API key');
    if (slug !== undefined && slug !== 'default') throw notFound('workspace');
    return {
      userId: 'apk_1',
      username: 'api-key:apk_1',
      platformAdmin: false,
      workspace: { id: 'ws_default', slug: 'default', role: 'user' },
      apiKey: { id: 'apk_1', scopes: ['telemetry:read'] },
    };
  };
  const people: TokenVerifier = { verify: async (token) => ({ subject: token === 'alice' ? 'usr_alice' : 'nobody' }) };
  let server: Running;
  let withoutKeys: Running;

  const routes = (auth: ReturnType<typeof authenticate>) => {
    const app = createHttpApp({ logger: createLogger({ level: 'silent' }) });
    app.get('/telemetry', auth, requireScope('telemetry:read'), (req, res) => void res.json(workspaceOf(req)));
    app.get('/shadow', auth, requireScope('shadows:read'), (req, res) => void res.json(workspaceOf(req)));
    app.get('/undeclared', auth, (req, res) => void res.json(workspaceOf(req)));
    app.get('/any', auth, acceptAnyApiKey, (req, res) => void res.json(accessOf(req)));
    finishHttpApp(app);
    return app;
  };

  beforeAll(async () => {
    server = await serve(routes(authenticate(bearerResolver(people, resolver), resolveKey)));
    withoutKeys = await serve(routes(authenticate(bearerResolver(people, resolver))));
  });
  afterAll(async () => {
    await server.close();
    await withoutKeys.close();
  });

  const keyed = (headers: Record<string, string> = {}) => ({ 'x-api-key': KEY, ...headers });

  it('lets a key in on a route that asks for a scope it holds, in its workspace as a user', async () => {
    const response = await get(`${server.url}/telemetry`, keyed());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'ws_default', slug: 'default', role: 'user' });
    expect((await get(`${server.url}/telemetry`, keyed({ [WORKSPACE_HEADER]: 'default' }))).status).toBe(200);
  });

  it('answers 403 on a route that asks for a scope the key lacks', async () => {
    const response = await get(`${server.url}/shadow`, keyed());
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'forbidden', message: 'the API key lacks the shadows:read scope' } });
  });

  it('answers 403 on a route that declares no scope', async () => {
    const response = await get(`${server.url}/undeclared`, keyed());
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'forbidden', message: 'API keys may not call this route' } });
  });

  it('lets any key of the workspace through acceptAnyApiKey', async () => {
    expect(await (await get(`${server.url}/any`, keyed())).json()).toMatchObject({ apiKey: { id: 'apk_1' } });
  });

  it('lets people through requireScope unchanged', async () => {
    for (const path of ['/telemetry', '/shadow', '/undeclared']) expect((await get(`${server.url}${path}`, bearer('alice'))).status).toBe(200);
  });

  it.each([
    ['an unknown key', { 'x-api-key': `${KEY.slice(0, -1)}x` }, 401, 'unauthorized'],
    ['another workspace', keyed({ [WORKSPACE_HEADER]: 'other' }), 404, 'not_found'],
    ['a key and a bearer token together', keyed(bearer('alice')), 400, 'bad_request'],
  ])('answers %s with %s', async (_case, headers, status, code) => {
    expect(await codeOf(await get(`${server.url}/telemetry`, headers))).toEqual({ status, code });
  });

  it('answers 401 for a key where no key resolver is wired', async () => {
    expect(await codeOf(await get(`${withoutKeys.url}/telemetry`, keyed()))).toEqual({ status: 401, code: 'unauthorized' });
  });

  it.each([
    ['api_key', `api_key=${KEY}`],
    ['apiKey, any case', 'apiKey=whatever'],
    ['x-api-key', 'x-api-key=whatever'],
    ['a key under any name', `q=${encodeURIComponent(KEY)}`],
  ])('answers 400 for a key in the query string (%s), even with a valid header, and does not echo it', async (_case, query) => {
    for (const headers of [{}, keyed(), bearer('alice')]) {
      const response = await get(`${server.url}/telemetry?${query}`, headers);
      const text = await response.text();
      expect([response.status, text.includes(KEY)]).toEqual([400, false]);
      expect(JSON.parse(text)).toMatchObject({ error: { message: 'an API key goes in the x-api-key header, never in the URL' } });
    }
  });

  it('keeps other query parameters', async () => {
    expect((await get(`${server.url}/telemetry?thingName=citus_sensor&key=1`, keyed())).status).toBe(200);
  });
});
