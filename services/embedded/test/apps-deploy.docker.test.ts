import { randomUUID } from 'node:crypto';
import { App, Deployment, DeploymentList, type AppManifest, type ErrorEnvelope } from '@citus/contracts';
import { connectDocker } from '../../app-registry/src/adapters/docker/docker-connection.js';
import { DockerEngineRuntime } from '../../app-registry/src/adapters/docker/docker-engine.runtime.js';
import { ensureTestImage, TEST_IMAGE, TEST_PAGE, waitFor } from '../../app-registry/test/support/test-image.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, type ApiResponse, type TestPlatform } from './support/test-platform.js';

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
const SECRET = `s3cret-${randomUUID()}`;

const manifest = (version: string): Partial<AppManifest> => ({
  name: 'hello',
  version,
  description: 'Serves a page, logs each request',
  category: 'utilities',
  image: TEST_IMAGE,
  env: { GREETING: 'hello' },
  secrets: ['HELLO_TOKEN'],
  resources: { memoryMb: 64, cpuMillicores: 250 },
});

/** A developer's app (`hello`, or changed by `overrides`), its version 1.0.0 approved by the platform admin; answers the app's id. */
async function approvedApp(platformAdmin: Api, developer: Api, overrides: Partial<AppManifest> = {}): Promise<string> {
  const created = await developer.post<App>('/api/v1/apps', { ...manifest('1.0.0'), ...overrides });
  expect(created.status).toBe(201);
  const appId = created.body.id;
  expect((await developer.post(`/api/v1/apps/${appId}/versions/1.0.0/submit`)).status).toBe(200);
  expect((await platformAdmin.post(`/api/v1/apps/${appId}/versions/1.0.0/approve`)).status).toBe(200);
  return appId;
}

async function login(platform: TestPlatform, username: string, password: string): Promise<{ api: Api; token: string }> {
  const response = await new Api(platform.baseUrl).post<{ access_token: string }>('/api/v1/auth/token', { username, password });
  return { api: new Api(platform.baseUrl, response.body.access_token), token: response.body.access_token };
}

/** Reads a chunked text response until a line matches, then lets it go (the client leaves). */
async function lineMatching(response: Response, abort: AbortController, match: (line: string) => boolean): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the log stream ended without the line; it had:\n${text}`);
      text += value;
      const found = text.split('\n').find(match);
      if (found) return found;
    }
  } finally {
    abort.abort();
  }
}

const statusOf = async (api: Api, deploymentId: string, status: Deployment['status']) => {
  const answer = await api.get<Deployment>(`/api/v1/deployments/${deploymentId}`);
  return answer.body.status === status ? answer.body : undefined;
};

const pageThrough = async (api: Api, path: string) => {
  const answer = await api.get<string>(path);
  return answer.status === 200 ? answer.body : undefined;
};

// Issue 7 points 3, 4 and 8 on a real Docker engine, through the embedded platform.
describe('app deployments through the platform', () => {
  const runtime = new DockerEngineRuntime(connectDocker(DOCKER_HOST));
  const appIds: string[] = [];
  let platform: TestPlatform;
  let admin: Api; // platform admin
  let dev: Api; // developer of "default"
  let devToken: string;
  let dora: Api; // plain user of "default"
  let bob: Api; // developer of "bravo" only
  let appId: string;

  beforeAll(async () => {
    ensureTestImage(DOCKER_HOST);
    platform = await bootTestPlatform({ DOCKER_HOST, CITUS_APP_RUNTIME: 'docker' });
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    expect((await admin.post('/api/v1/workspaces', { slug: 'bravo', name: 'Bravo' })).status).toBe(201);
    for (const [username, workspace, role] of [['dev', 'default', 'developer'], ['dora', 'default', 'user'], ['bob', 'bravo', 'developer']] as const) {
      const user = await admin.post<{ id: string }>('/api/v1/users', { username, password: `${username}-Passw0rd!` });
      expect((await admin.put(`/api/v1/workspaces/${workspace}/members`, { userId: user.body.id, role })).status).toBe(200);
    }
    ({ api: dev, token: devToken } = await login(platform, 'dev', 'dev-Passw0rd!'));
    dora = await Api.login(platform.baseUrl, 'dora', 'dora-Passw0rd!');
    bob = await Api.login(platform.baseUrl, 'bob', 'bob-Passw0rd!', 'bravo');
    appId = await approvedApp(admin, dev);
    appIds.push(appId);
  });

  afterAll(async () => {
    for (const id of appIds) for (const name of await runtime.list({ 'citus.app': id })) await runtime.remove(name);
    await platform?.destroy();
  });

  it('deploys an approved version, serves it at /apps/default/hello/, streams its logs, restarts, stops and removes it', async () => {
    const deployments = `/api/v1/apps/${appId}/deployments`;
    const noSecret = await dev.post<ErrorEnvelope>(deployments, { version: '1.0.0' });
    expect([noSecret.status, noSecret.body.error.message]).toEqual([400, 'declared secrets need a value: HELLO_TOKEN']);
    const unknown = await dev.post<ErrorEnvelope>(deployments, { version: '1.0.0', env: { HELLO_TOKEN: SECRET, OTHER: 'x' } });
    expect([unknown.status, unknown.body.error.message]).toEqual([400, 'not declared by the manifest, as a secret or a plain value: OTHER']);
    expect((await dora.post(deployments, { version: '1.0.0', env: { HELLO_TOKEN: SECRET } })).status).toBe(403);

    const created = await dev.post<Deployment>(deployments, { version: '1.0.0', env: { HELLO_TOKEN: SECRET, GREETING: 'hi' } });
    expect(created.status).toBe(201);
    const deployment = Deployment.parse(created.body);
    expect(deployment).toMatchObject({ appName: 'hello', version: '1.0.0', url: '/apps/default/hello/', variables: ['GREETING', 'HELLO_TOKEN'] });
    expect(['starting', 'running']).toContain(deployment.status);
    const item = `/api/v1/deployments/${deployment.deploymentId}`;

    // The secret's value goes to the container, and nowhere the API answers.
    const [container] = await runtime.list({ 'citus.deployment': deployment.deploymentId });
    const inspected = await connectDocker(DOCKER_HOST).docker.getContainer(container!).inspect();
    expect(inspected.Config.Env).toEqual(expect.arrayContaining([`HELLO_TOKEN=${SECRET}`, 'GREETING=hi', expect.stringMatching(/^PORT=\d+$/)]));
    expect(inspected.Config.Labels).toMatchObject({ 'citus.app': appId, 'citus.version': '1.0.0', 'citus.deployment': deployment.deploymentId });
    expect(inspected.HostConfig).toMatchObject({ ReadonlyRootfs: true, Memory: 64 * 1024 * 1024, NanoCpus: 250_000_000, Privileged: false });
    const list = await dev.get<DeploymentList>(`/api/v1/deployments?appId=${appId}`);
    expect(DeploymentList.parse(list.body).items.map((d) => d.deploymentId)).toEqual([deployment.deploymentId]);
    for (const answer of [created, list, await dev.get(item)]) expect(JSON.stringify(answer.body)).not.toContain(SECRET);

    await waitFor(() => statusOf(dev, deployment.deploymentId, 'running'), 'the deployment running');
    expect(await waitFor(() => pageThrough(dora, '/apps/default/hello/'), 'the page through the proxy')).toBe(TEST_PAGE);
    const bare = await fetch(`${platform.baseUrl}/apps/default/hello`, { redirect: 'manual', headers: { authorization: `Bearer ${devToken}` } });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/apps/default/hello/']);
    expect((await new Api(platform.baseUrl).get('/apps/default/hello/')).status).toBe(401);
    const proxied = await dora.get('/apps/default/hello/');
    expect(proxied.headers.get('content-security-policy')).toMatch(/^sandbox /);

    // Following the logs: a request through the proxy shows up as the app logs it.
    const abort = new AbortController();
    const follow = await fetch(`${platform.baseUrl}${item}/logs?follow=true&tail=1`, { headers: { authorization: `Bearer ${devToken}` }, signal: abort.signal });
    expect([follow.status, follow.headers.get('content-type')]).toEqual([200, 'text/plain; charset=utf-8']);
    const probe = `/probe-${randomUUID()}`;
    const seen = lineMatching(follow, abort, (line) => line.includes(`url:${probe}`));
    expect((await dora.get(`/apps/default/hello${probe}`)).status).toBe(404);
    expect(await seen).toContain(probe);
    const logs = await dora.get<string>(`${item}/logs`);
    expect(logs.body).toContain(`url:${probe}`);

    const restarted = await dev.post<Deployment>(`${item}/restart`);
    expect(restarted.status).toBe(200);
    expect(await waitFor(() => pageThrough(dora, '/apps/default/hello/'), 'the page after a restart')).toBe(TEST_PAGE);

    expect((await dora.post(`${item}/stop`)).status).toBe(403);
    expect((await dev.post<Deployment>(`${item}/stop`)).body.status).toBe('stopped');
    const down = await dora.get<ErrorEnvelope>('/apps/default/hello/');
    expect([down.status, down.body.error.code]).toEqual([503, 'unavailable']);
    await dev.post(`${item}/restart`);
    expect(await waitFor(() => pageThrough(dora, '/apps/default/hello/'), 'the page after a stop and a start')).toBe(TEST_PAGE);

    const scaled = await dev.post<ErrorEnvelope>(`${item}/scale`, { replicas: 2 });
    expect([scaled.status, scaled.body.error.message]).toEqual([409, expect.stringContaining('CITUS_APP_RUNTIME=swarm')]);

    const again = await dev.post<ErrorEnvelope>(deployments, { version: '1.0.0', env: { HELLO_TOKEN: SECRET } });
    expect([again.status, again.body.error.message]).toEqual([409, 'this workspace already runs a deployment of hello: remove it first']);

    expect((await dev.delete(item)).status).toBe(204);
    expect((await dev.get(item)).status).toBe(404);
    expect(await runtime.list({ 'citus.deployment': deployment.deploymentId })).toEqual([]);
    expect((await dora.get('/apps/default/hello/')).status).toBe(404);
  });

  it('gives each deployment its own API key: of its workspace, with its manifest\'s scopes, revoked with it', async () => {
    const keyedId = await approvedApp(admin, dev, { name: 'keyed', secrets: [], scopes: ['devices:read'] });
    appIds.push(keyedId);
    const deployed = await dev.post<Deployment>(`/api/v1/apps/${keyedId}/deployments`, { version: '1.0.0' });
    expect(deployed.status).toBe(201);
    const [container] = await runtime.list({ 'citus.deployment': deployed.body.deploymentId });
    const env = (await connectDocker(DOCKER_HOST).docker.getContainer(container!).inspect()).Config.Env;
    const key = env.find((entry) => entry.startsWith('CITUS_API_KEY='))?.slice('CITUS_API_KEY='.length);
    expect(key).toMatch(/^citus_apk_/);
    // Its own key and its manifest's values, nothing of the platform's: no service token, cloud keys or engine.
    expect(env.map((entry) => entry.split('=')[0]).sort()).toEqual(['CITUS_API_KEY', 'GREETING', 'HOST', 'PORT']);
    const mounts = (await connectDocker(DOCKER_HOST).docker.getContainer(container!).inspect()).Mounts;
    expect(mounts.filter((mount) => mount.Type === 'bind')).toEqual([]);
    const withKey = (path: string) => fetch(`${platform.baseUrl}${path}`, { headers: { 'x-api-key': key as string } });
    expect((await withKey('/api/v1/devices')).status).toBe(200);
    // Outside its scopes, and in another workspace: refused.
    expect((await withKey('/api/v1/telemetry?thingName=anything')).status).toBe(403);
    expect((await fetch(`${platform.baseUrl}/api/v1/devices`, { headers: { 'x-api-key': key as string, 'x-citus-workspace': 'bravo' } })).status).toBe(404);
    const item = `/api/v1/deployments/${deployed.body.deploymentId}`;
    expect(JSON.stringify((await dev.get(item)).body)).not.toContain(key);
    expect((await dev.delete(item)).status).toBe(204);
    expect((await withKey('/api/v1/devices')).status).toBe(401);
  });

  it('shows a deployment whose health check path is not served as unhealthy, saying what it answered', async () => {
    const sicklyId = await approvedApp(admin, dev, { name: 'sickly', secrets: [], healthCheck: { path: '/missing', intervalSeconds: 15, timeoutSeconds: 5, retries: 3 } });
    appIds.push(sicklyId);
    const deployed = await dev.post<Deployment>(`/api/v1/apps/${sicklyId}/deployments`, { version: '1.0.0' });
    expect(deployed.status).toBe(201);
    expect(['starting', 'running']).toContain(deployed.body.status);

    // It runs and serves its page: only its check fails.
    expect(await waitFor(() => pageThrough(dora, '/apps/default/sickly/'), 'the page through the proxy')).toBe(TEST_PAGE);
    const unhealthy = await waitFor(() => statusOf(dev, deployed.body.deploymentId, 'unhealthy'), 'the deployment unhealthy');
    expect(unhealthy.detail).toBe('health check GET /missing: answered 404');
    const listed = await dev.get<DeploymentList>(`/api/v1/deployments?appId=${sicklyId}`);
    expect(DeploymentList.parse(listed.body).items.map((d) => [d.status, d.detail])).toEqual([['unhealthy', 'health check GET /missing: answered 404']]);
    expect((await dev.delete(`/api/v1/deployments/${deployed.body.deploymentId}`)).status).toBe(204);
  });

  it('runs an app that listens on the port its manifest names, reached and checked there', async () => {
    const fixedId = await approvedApp(admin, dev, { name: 'fixed-port', secrets: [], port: { protocol: 'http', containerPort: 8080 } });
    appIds.push(fixedId);
    const deployed = await dev.post<Deployment>(`/api/v1/apps/${fixedId}/deployments`, { version: '1.0.0' });
    expect(deployed.status).toBe(201);
    expect(await waitFor(() => pageThrough(dora, '/apps/default/fixed-port/'), 'the page through the proxy')).toBe(TEST_PAGE);
    expect(await waitFor(() => statusOf(dev, deployed.body.deploymentId, 'running'), 'the deployment running and healthy')).not.toHaveProperty('detail');
    const [container] = await runtime.list({ 'citus.deployment': deployed.body.deploymentId });
    const info = await connectDocker(DOCKER_HOST).docker.getContainer(container!).inspect();
    expect(info.Config.Env).toContain('PORT=8080');
    expect(Object.keys(info.HostConfig.PortBindings ?? {})).toEqual(['8080/tcp']);
    expect((await dev.delete(`/api/v1/deployments/${deployed.body.deploymentId}`)).status).toBe(204);
  });

  it('refuses a version that is not approved', async () => {
    expect((await dev.post(`/api/v1/apps/${appId}/versions`, manifest('1.1.0'))).status).toBe(201);
    const draft = await dev.post<ErrorEnvelope>(`/api/v1/apps/${appId}/deployments`, { version: '1.1.0', env: { HELLO_TOKEN: SECRET } });
    expect([draft.status, draft.body.error.message]).toEqual([409, 'version 1.1.0 is draft: only approved or published versions can be deployed']);
    await dev.post(`/api/v1/apps/${appId}/versions/1.1.0/submit`);
    const pending = await dev.post<ErrorEnvelope>(`/api/v1/apps/${appId}/deployments`, { version: '1.1.0', env: { HELLO_TOKEN: SECRET } });
    expect(pending.status).toBe(409);
    expect((await admin.post(`/api/v1/apps/${appId}/versions/1.1.0/reject`, { reason: 'logs the token it is given' })).status).toBe(200);
    const rejected = await dev.post<ErrorEnvelope>(`/api/v1/apps/${appId}/deployments`, { version: '1.1.0', env: { HELLO_TOKEN: SECRET } });
    expect([rejected.status, rejected.body.error.message]).toEqual([409, 'version 1.1.0 is rejected: only approved or published versions can be deployed']);
    expect((await dev.get<DeploymentList>('/api/v1/deployments')).body.items).toEqual([]);
    expect(await runtime.list({ 'citus.app': appId })).toEqual([]);
  });

  it("keeps workspace B from seeing, stopping or reaching workspace A's deployment", async () => {
    const created = await dev.post<Deployment>(`/api/v1/apps/${appId}/deployments`, { version: '1.0.0', env: { HELLO_TOKEN: SECRET } });
    expect(created.status).toBe(201);
    const item = `/api/v1/deployments/${created.body.deploymentId}`;
    await waitFor(() => pageThrough(dev, '/apps/default/hello/'), 'the page through the proxy');

    expect((await bob.get<DeploymentList>('/api/v1/deployments')).body.items).toEqual([]);
    expect((await bob.post(`/api/v1/apps/${appId}/deployments`, { version: '1.0.0', env: { HELLO_TOKEN: SECRET } })).status).toBe(404);
    const bodies: Record<string, unknown> = { [`${item}/scale`]: { replicas: 2 }, [item]: { follow: 'tag' } };
    for (const [method, path] of [['GET', item], ['GET', `${item}/logs`], ['POST', `${item}/stop`], ['POST', `${item}/restart`], ['POST', `${item}/scale`], ['PATCH', item], ['DELETE', item]]) {
      const answer: ApiResponse<ErrorEnvelope> = await bob.request(method!, path!, method === 'GET' || method === 'DELETE' ? undefined : bodies[path!]);
      expect([method, path, answer.status]).toEqual([method, path, 404]);
    }
    const reached = await bob.get<ErrorEnvelope>('/apps/default/hello/');
    expect([reached.status, reached.body.error.message]).toEqual([403, 'not a member of workspace default']);
    // Nor with an API key of B's workspace, on the API or through A's proxy path.
    const bravoAdmin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD, 'bravo');
    const bravoKey = await bravoAdmin.post<{ key: string }>('/api/v1/api-keys', { name: 'bravo reader', scopes: ['devices:read'] });
    expect(bravoKey.status).toBe(201);
    const keyed = (path: string, init: RequestInit = {}) => fetch(`${platform.baseUrl}${path}`, { ...init, headers: { 'x-api-key': bravoKey.body.key, 'x-citus-workspace': 'bravo' } });
    // No key scope covers deployments: a key is refused them, whatever workspace's they are.
    expect((await keyed(item)).status).toBe(403);
    expect((await keyed(`${item}/stop`, { method: 'POST' })).status).toBe(403);
    expect((await fetch(`${platform.baseUrl}/apps/default/hello/`, { headers: { 'x-api-key': bravoKey.body.key } })).status).toBe(403);
    // bravo has no app of that name: a member reaches nothing, and A's app is not found there.
    expect((await bob.get('/apps/bravo/hello/')).status).toBe(404);

    expect((await dev.get<Deployment>(item)).body.status).toBe('running');
    expect((await dev.delete(item)).status).toBe(204);
  });
});

describe('app deployments without a container engine', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await bootTestPlatform({ DOCKER_HOST: 'unix:///nonexistent.sock' });
  });
  afterAll(() => platform?.destroy());

  it('starts, and answers deploys with 503 naming DOCKER_HOST and what went wrong', async () => {
    expect((await fetch(`${platform.baseUrl}/healthz`)).status).toBe(200);
    const admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const appId = await approvedApp(admin, admin);
    const refused = await admin.post<ErrorEnvelope>(`/api/v1/apps/${appId}/deployments`, { version: '1.0.0', env: { HELLO_TOKEN: SECRET } });
    expect([refused.status, refused.body.error.code]).toEqual([503, 'unavailable']);
    expect(refused.body.error.message).toContain('DOCKER_HOST=unix:///nonexistent.sock');
    expect(refused.body.error.message).toContain('no such socket');
    expect((await admin.get<DeploymentList>('/api/v1/deployments')).body.items).toEqual([]);
  });
});
