import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorEnvelope } from '@citus/contracts';
import { AesGcmSecretCipher, AppError, authenticate, createHttpApp, createLogger, finishHttpApp, notFound, type AccessContext } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { appProxyRoutes } from '../src/adapters/http/app-proxy.routes.js';
import { APP_MIGRATIONS } from '../src/adapters/sqlite/app.migrations.js';
import { SqliteAppRepository } from '../src/adapters/sqlite/app.repository.js';
import { SqliteDeploymentRepository } from '../src/adapters/sqlite/deployment.repository.js';
import { AppCatalogService } from '../src/app/app-catalog.service.js';
import { DeploymentService } from '../src/app/deployment.service.js';
import { onLoopback, RuntimeError, type ContainerRuntime } from '../src/domain/container-runtime.port.js';
import type { DeploymentRecord } from '../src/domain/deployment.model.js';
import { DEV, HOME, anApp, aVersion } from './support/app-fixture.js';
import { freePort } from './support/test-image.js';

interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The proxy looks deployments up and asks for their replicas' ports, which a single engine answers
 * without a call (the port it published); any other call is refused, so no test reaches an engine.
 */
const refuse = () => Promise.reject(new RuntimeError('unavailable', 'no engine in this test'));
const NO_ENGINE: ContainerRuntime = {
  kind: 'docker',
  availability: async () => ({ available: false, reason: 'no engine in this test' }),
  deploy: refuse,
  status: refuse,
  logs: () => ({ [Symbol.asyncIterator]: () => ({ next: refuse }) }),
  restart: refuse,
  stop: refuse,
  remove: refuse,
  scale: refuse,
  list: refuse,
  endpoints: async (name, { hostPort }) => (replicaPorts.get(name) ?? [hostPort]).map(onLoopback),
};
/** Swarm's answer for a deployment's running tasks, where a test sets one. */
const replicaPorts = new Map<string, number[]>();

/** Stands in for the portal's access resolver: two users, each a member of one workspace. */
const ACCESS: Record<string, AccessContext> = {
  'token-dev': { userId: 'usr_dev', username: 'dev', platformAdmin: false, workspace: { ...HOME, role: 'developer' } },
  'token-bob': { userId: 'usr_bob', username: 'bob', platformAdmin: false, workspace: { id: 'ws_other', slug: 'other', role: 'developer' } },
};
const resolveBearer = async (token: string, slug?: string): Promise<AccessContext> => {
  const access = ACCESS[token];
  if (!access) throw new AppError('unauthorized', 'unknown user');
  if (slug !== undefined && access.workspace?.slug !== slug) throw notFound('workspace');
  return access;
};

/** Stands in for the portal's API key resolver: one key of each workspace, without scopes the proxy would ask for. */
const HOME_KEY = `citus_apk_${'1'.repeat(24)}_${'h'.repeat(43)}`;
const OTHER_KEY = `citus_apk_${'2'.repeat(24)}_${'o'.repeat(43)}`;
const resolveKey = async (key: string, slug?: string): Promise<AccessContext> => {
  const workspace = { [HOME_KEY]: { ...HOME, role: 'user' as const }, [OTHER_KEY]: { id: 'ws_other', slug: 'other', role: 'user' as const } }[key];
  if (!workspace) throw new AppError('unauthorized', 'invalid, revoked or expired API key');
  if (slug !== undefined && workspace.slug !== slug) throw notFound('workspace');
  return { userId: 'apk_1', username: 'api-key:apk_1', platformAdmin: false, workspace, apiKey: { id: 'apk_1', scopes: ['devices:read'] } };
};

const deploymentOn = (hostPort: number, overrides: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
  deploymentId: `dep_${'0'.repeat(23)}1`,
  workspaceId: HOME.id,
  workspaceSlug: HOME.slug,
  appId: anApp().appId,
  appName: 'pump-watch',
  version: '1.0.0',
  containerName: 'citus-dep-1',
  hostPort,
  routePrefix: '/ui/',
  env: {},
  secrets: { TOKEN: 'never-sent-by-the-proxy' },
  createdAt: 1_000,
  createdBy: DEV,
  ...overrides,
});

// The reverse proxy in front of deployments, with a plain HTTP server standing in for the app.
describe('the app proxy', () => {
  let dir: string;
  let db: SqliteDatabase;
  let app: Server;
  let platform: Server;
  let base: string;
  const echo = (): Server =>
    createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const answer: Echo = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        const port = (req.socket.address() as AddressInfo).port;
        res.writeHead(200, { 'content-type': 'application/json', 'content-security-policy': "default-src 'self'", 'x-echo-port': String(port) });
        res.end(JSON.stringify(answer));
      });
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-proxy-'));
    db = openDatabase(join(dir, 'apps.db'), { module: 'app-registry', migrations: APP_MIGRATIONS });
    const apps = new SqliteAppRepository(db);
    const deployments = new SqliteDeploymentRepository(db, new AesGcmSecretCipher(Buffer.alloc(32, 1)));
    await apps.insertApp(anApp(), aVersion(anApp()));
    await apps.insertApp(anApp({ appId: `app_${'0'.repeat(23)}2`, name: 'stopped-app' }), aVersion(anApp({ appId: `app_${'0'.repeat(23)}2`, name: 'stopped-app' })));
    app = echo().listen(0, '127.0.0.1');
    await new Promise((resolve) => app.once('listening', resolve));
    expect(await deployments.insert(deploymentOn((app.address() as AddressInfo).port))).toBe('inserted');
    const stopped = { deploymentId: `dep_${'0'.repeat(23)}2`, appId: `app_${'0'.repeat(23)}2`, appName: 'stopped-app', containerName: 'citus-dep-2' };
    expect(await deployments.insert(deploymentOn(await freePort(), stopped))).toBe('inserted');

    const logger = createLogger({ level: 'silent' });
    const service = new DeploymentService(new AppCatalogService(apps), deployments, NO_ENGINE, { allocate: freePort });
    const http = createHttpApp({ logger });
    http.use(appProxyRoutes(service, authenticate(resolveBearer, resolveKey), logger));
    finishHttpApp(http);
    platform = http.listen(0, '127.0.0.1');
    await new Promise((resolve) => platform.once('listening', resolve));
    base = `http://127.0.0.1:${(platform.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => platform.close(resolve));
    await new Promise((resolve) => app.close(resolve));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers } });

  it("forwards to the app's route prefix, without the platform's credentials, and sandboxes the page", async () => {
    const response = await call('/apps/home/pump-watch/reports/1?from=2', {
      token: 'token-dev',
      headers: { cookie: 'portal=1', 'x-citus-workspace': 'other', 'x-app-header': 'kept' },
    });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as Echo;
    expect(seen).toMatchObject({ method: 'GET', url: '/ui/reports/1?from=2' });
    expect(seen.headers).toMatchObject({ 'x-forwarded-prefix': '/apps/home/pump-watch', 'x-app-header': 'kept' });
    for (const header of ['authorization', 'cookie', 'x-citus-workspace']) expect(seen.headers[header]).toBeUndefined();
    expect(response.headers.get('content-security-policy')).toBe("default-src 'self', sandbox allow-scripts allow-forms allow-popups allow-downloads allow-modals");
  });

  it("lets in an API key of the app's workspace, and never forwards it to the app", async () => {
    const response = await call('/apps/home/pump-watch/data', { headers: { 'x-api-key': HOME_KEY } });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as Echo;
    expect(seen.url).toBe('/ui/data');
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(HOME_KEY);
  });

  it.each([
    ['a key of another workspace', { 'x-api-key': OTHER_KEY }, 403, 'forbidden'],
    ['an unknown key', { 'x-api-key': `${HOME_KEY.slice(0, -1)}x` }, 401, 'unauthorized'],
  ])('answers %s with the error envelope', async (_case, headers, status, code) => {
    const response = await call('/apps/home/pump-watch/', { headers });
    expect([response.status, ((await response.json()) as ErrorEnvelope).error.code]).toEqual([status, code]);
  });

  it('refuses a key in the query string before the app sees it', async () => {
    const response = await call(`/apps/home/pump-watch/?api_key=${HOME_KEY}`);
    expect(response.status).toBe(400);
    expect(await response.text()).not.toContain(HOME_KEY);
  });

  it('sends a JSON body the platform has parsed already', async () => {
    const response = await call('/apps/home/pump-watch/api', {
      token: 'token-dev',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ level: 3 }),
    });
    expect((await response.json()) as Echo).toMatchObject({ method: 'POST', url: '/ui/api', body: '{"level":3}' });
  });

  it('redirects the bare prefix to its directory', async () => {
    const response = await call('/apps/home/pump-watch?x=1', { token: 'token-dev', redirect: 'manual' });
    expect([response.status, response.headers.get('location')]).toEqual([308, '/apps/home/pump-watch/?x=1']);
  });

  it('takes turns over the replicas the engine runs, and answers 503 when none runs', async () => {
    const second = echo().listen(0, '127.0.0.1');
    await new Promise((resolve) => second.once('listening', resolve));
    const ports = [(app.address() as AddressInfo).port, (second.address() as AddressInfo).port];
    try {
      replicaPorts.set('citus-dep-1', ports);
      const served = [];
      for (let i = 0; i < 4; i++) served.push(Number((await call('/apps/home/pump-watch/', { token: 'token-dev' })).headers.get('x-echo-port')));
      expect(new Set(served)).toEqual(new Set(ports));
      expect(served[0]).not.toBe(served[1]);

      replicaPorts.set('citus-dep-1', []);
      const none = await call('/apps/home/pump-watch/', { token: 'token-dev' });
      expect([none.status, ((await none.json()) as ErrorEnvelope).error]).toEqual([503, expect.objectContaining({ code: 'unavailable', message: expect.stringContaining('no replica running') })]);
    } finally {
      replicaPorts.clear();
      await new Promise((resolve) => second.close(resolve));
    }
  });

  it.each([
    ['no token', '/apps/home/pump-watch/', undefined, 401, 'unauthorized'],
    ['an unknown token', '/apps/home/pump-watch/', 'token-nobody', 401, 'unauthorized'],
    ['a member of another workspace', '/apps/home/pump-watch/', 'token-bob', 403, 'forbidden'],
    ['an app the workspace does not run', '/apps/home/nothing-here/', 'token-dev', 404, 'not_found'],
    ['an impossible name', '/apps/home/Not_An_App/', 'token-dev', 404, 'not_found'],
    ['an app that does not answer', '/apps/home/stopped-app/', 'token-dev', 503, 'unavailable'],
  ])('answers %s with the error envelope', async (_case, path, token, status, code) => {
    const response = await call(path, token ? { token } : {});
    expect([response.status, ((await response.json()) as ErrorEnvelope).error.code]).toEqual([status, code]);
  });
});
