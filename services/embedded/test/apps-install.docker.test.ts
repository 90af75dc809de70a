import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { App, AppWebhook, Deployment, DeploymentList, WebhookDelivery, type AppManifest, type ErrorEnvelope } from '@citus/contracts';
import { createLogger } from '@citus/kit';
import { connectDocker } from '../../app-registry/src/adapters/docker/docker-connection.js';
import { DockerEngineRuntime } from '../../app-registry/src/adapters/docker/docker-engine.runtime.js';
import { ensureTestImage, ensureUnhealthyTestImage, TEST_IMAGE, TEST_PAGE, UNHEALTHY_TEST_IMAGE, waitFor } from '../../app-registry/test/support/test-image.js';
import { startPlatform, type Platform } from '../src/index.js';
import { ADMIN_PASSWORD, Api } from './support/test-platform.js';

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
const SECOND_TAG = 'citus-test/httpd:second';
const tagOf = (image: string): string => image.slice(image.lastIndexOf(':') + 1);
const SECRET = `s3cret-${randomUUID()}`;

const manifest: Partial<AppManifest> = {
  name: 'hello',
  version: '1.0.0',
  description: 'Serves a page, logs each request',
  category: 'utilities',
  image: TEST_IMAGE,
  secrets: ['HELLO_TOKEN'],
  scopes: ['devices:read'],
  resources: { memoryMb: 64, cpuMillicores: 250 },
  // A redeploy waits for health at most timeoutSeconds + intervalSeconds * retries: 6 s.
  healthCheck: { path: '/healthz', intervalSeconds: 5, timeoutSeconds: 1, retries: 1 },
};

const docker = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST }, encoding: 'utf8' });

/** The embedded platform with its log kept in memory, to show what it never logs. */
async function bootWithLog(): Promise<{ platform: Platform; baseUrl: string; log: () => string; destroy: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'citus-test-'));
  const lines: string[] = [];
  const platform = await startPlatform(
    { PORT: '0', HOST: '127.0.0.1', MQTT_TLS_PORT: '0', MQTT_HOST: '127.0.0.1', CITUS_DATA_DIR: dataDir, CITUS_ADMIN_PASSWORD: ADMIN_PASSWORD, DOCKER_HOST, CITUS_APP_RUNTIME: 'docker' },
    createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } }),
  );
  return {
    platform,
    baseUrl: `http://127.0.0.1:${platform.httpPort}`,
    log: () => lines.join(''),
    async destroy() {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const statusOfItem = async (api: Api, item: string, status: Deployment['status']) => {
  const answer = await api.get<Deployment>(item);
  return answer.body.status === status ? answer.body : undefined;
};

const pageThrough = async (api: Api, path: string) => {
  const answer = await api.get<string>(path);
  return answer.status === 200 ? answer.body : undefined;
};

// Issue 7 points 5 and 6 on a real Docker engine: install into a second workspace, webhook redeploys.
describe('installing apps and redeploying them from webhooks', () => {
  const runtime = new DockerEngineRuntime(connectDocker(DOCKER_HOST));
  let booted: Awaited<ReturnType<typeof bootWithLog>>;
  let admin: Api; // platform admin
  let alice: Api; // developer of "default", the publisher
  let bob: Api; // developer of "bravo", the installer
  let appId: string;

  beforeAll(async () => {
    ensureTestImage(DOCKER_HOST);
    ensureUnhealthyTestImage(DOCKER_HOST);
    docker('tag', TEST_IMAGE, SECOND_TAG);
    booted = await bootWithLog();
    admin = await Api.login(booted.baseUrl, 'admin', ADMIN_PASSWORD);
    expect((await admin.post('/api/v1/workspaces', { slug: 'bravo', name: 'Bravo' })).status).toBe(201);
    for (const [username, workspace] of [['alice', 'default'], ['bob', 'bravo']] as const) {
      const user = await admin.post<{ id: string }>('/api/v1/users', { username, password: `${username}-Passw0rd!` });
      expect((await admin.put(`/api/v1/workspaces/${workspace}/members`, { userId: user.body.id, role: 'developer' })).status).toBe(200);
    }
    alice = await Api.login(booted.baseUrl, 'alice', 'alice-Passw0rd!');
    bob = await Api.login(booted.baseUrl, 'bob', 'bob-Passw0rd!', 'bravo');
    const created = await alice.post<App>('/api/v1/apps', manifest);
    appId = created.body.id;
    expect((await alice.post(`/api/v1/apps/${appId}/versions/1.0.0/submit`)).status).toBe(200);
    expect((await admin.post(`/api/v1/apps/${appId}/versions/1.0.0/approve`)).status).toBe(200);
  });

  afterAll(async () => {
    if (appId) for (const name of await runtime.list({ 'citus.app': appId })) await runtime.remove(name);
    await booted?.destroy();
    docker('rmi', SECOND_TAG);
  });

  it('installs the published version into workspace B, which alone sees, reaches and removes it', async () => {
    const install = `/api/v1/marketplace/${appId}/install`;
    expect((await bob.post<ErrorEnvelope>(install, { env: { HELLO_TOKEN: SECRET } })).status).toBe(404);
    expect((await alice.post(`/api/v1/apps/${appId}/versions/1.0.0/publish`)).status).toBe(200);
    expect((await bob.post<ErrorEnvelope>(install, {})).body.error.message).toBe('declared secrets need a value: HELLO_TOKEN');

    const created = await bob.post<Deployment>(install, { env: { HELLO_TOKEN: SECRET } });
    expect(created.status).toBe(201);
    const installed = Deployment.parse(created.body);
    expect(installed).toMatchObject({ appId, version: '1.0.0', workspaceSlug: 'bravo', installedFrom: 'default', follow: 'pinned', url: '/apps/bravo/hello/' });
    expect(await waitFor(() => pageThrough(bob, '/apps/bravo/hello/'), 'the installed page through the proxy')).toBe(TEST_PAGE);
    // The installed copy's key is the installing workspace's, with the manifest's scopes.
    const [container] = await runtime.list({ 'citus.deployment': installed.deploymentId });
    const env = (await connectDocker(DOCKER_HOST).docker.getContainer(container!).inspect()).Config.Env;
    const key = env.find((entry) => entry.startsWith('CITUS_API_KEY='))?.slice('CITUS_API_KEY='.length) as string;
    const withKey = (workspace?: string) => fetch(`${booted.baseUrl}/api/v1/devices`, { headers: { 'x-api-key': key, ...(workspace ? { 'x-citus-workspace': workspace } : {}) } });
    expect([(await withKey()).status, (await withKey('bravo')).status, (await withKey('default')).status]).toEqual([200, 200, 404]);
    const again = await bob.post<ErrorEnvelope>(install, { env: { HELLO_TOKEN: SECRET } });
    expect([again.status, again.body.error.message]).toEqual([409, 'this workspace already runs a deployment of hello: remove it first']);

    const item = `/api/v1/deployments/${installed.deploymentId}`;
    expect((await alice.get<DeploymentList>('/api/v1/deployments')).body.items).toEqual([]);
    for (const [method, path] of [['GET', item], ['POST', `${item}/stop`], ['DELETE', item]] as const) {
      expect([method, (await alice.request(method, path)).status]).toEqual([method, 404]);
    }
    expect((await alice.get('/apps/bravo/hello/')).status).toBe(403);
    expect((await bob.get<DeploymentList>('/api/v1/deployments')).body.items.map((d) => d.deploymentId)).toEqual([installed.deploymentId]);

    expect((await bob.delete(item)).status).toBe(204);
    expect(await runtime.list({ 'citus.deployment': installed.deploymentId })).toEqual([]);
  });

  it('turns a pushed tag into a version that redeploys the following deployment once approved, then at once with autoApprove', async () => {
    const created = await alice.post<Deployment>(`/api/v1/apps/${appId}/deployments`, { version: '1.0.0', env: { HELLO_TOKEN: SECRET }, follow: 'tag' });
    expect([created.status, created.body.follow]).toEqual([201, 'tag']);
    const item = `/api/v1/deployments/${created.body.deploymentId}`;
    await waitFor(() => pageThrough(alice, '/apps/default/hello/'), 'the page through the proxy');

    const hook = AppWebhook.parse((await alice.post<AppWebhook>(`/api/v1/apps/${appId}/webhook`)).body);
    expect(hook.url).toMatch(/^\/hooks\/apps\/hook_[0-9a-f]{24}\/[A-Za-z0-9_-]{43}$/);
    const hookSecret = hook.url.split('/').at(-1)!;
    const anonymous = new Api(booted.baseUrl);
    const pushOf = (tag: string) => ({ push_data: { tag, pusher: 'alice' }, repository: { repo_name: 'citus-test/httpd', namespace: 'citus-test' } });

    const wrong = await anonymous.post<ErrorEnvelope>(`/hooks/apps/${hook.hookId}/not-${hookSecret}`, pushOf(tagOf(SECOND_TAG)));
    expect([wrong.status, wrong.body.error.message]).toEqual([404, 'webhook not found']);
    expect((await anonymous.post(hook.url, { push_data: {} })).status).toBe(400);
    expect((await anonymous.post(hook.url, { ...pushOf(tagOf(SECOND_TAG)), repository: { repo_name: 'someone/else' } })).status).toBe(400);

    const pending = await anonymous.post<WebhookDelivery>(hook.url, pushOf(tagOf(SECOND_TAG)));
    expect([pending.status, WebhookDelivery.parse(pending.body)]).toEqual([202, { appId, version: '1.0.1', status: 'pending_review', image: SECOND_TAG, redeployments: [] }]);
    expect((await alice.get<Deployment>(item)).body.version).toBe('1.0.0');

    expect((await admin.post(`/api/v1/apps/${appId}/versions/1.0.1/approve`)).status).toBe(200);
    expect((await alice.get<Deployment>(item)).body.version).toBe('1.0.1');
    const [container] = await runtime.list({ 'citus.deployment': created.body.deploymentId });
    expect((await connectDocker(DOCKER_HOST).docker.getContainer(container!).inspect()).Config.Image).toBe(SECOND_TAG);
    expect(await waitFor(() => pageThrough(alice, '/apps/default/hello/'), 'the redeployed page')).toBe(TEST_PAGE);

    expect((await alice.put(`/api/v1/apps/${appId}/policy`, { autoApprove: true })).status).toBe(403);
    expect((await admin.put(`/api/v1/apps/${appId}/policy`, { autoApprove: true })).status).toBe(200);
    const immediate = await anonymous.post<WebhookDelivery>(hook.url, pushOf(tagOf(TEST_IMAGE)));
    expect(immediate.status).toBe(202);
    expect(immediate.body).toMatchObject({ version: '1.0.2', status: 'approved', redeployments: [{ deploymentId: created.body.deploymentId, from: '1.0.1', to: '1.0.2', outcome: 'redeployed' }] });
    expect(await waitFor(() => pageThrough(alice, '/apps/default/hello/'), 'the page after the automatic redeploy')).toBe(TEST_PAGE);
    const audit = (await alice.get<{ items: Array<{ version: string; to: string; actor: { username: string } }> }>(`/api/v1/apps/${appId}/audit`)).body.items;
    expect(audit.filter((entry) => entry.version === '1.0.2').map((entry) => [entry.to, entry.actor.username])).toEqual([
      ['draft', 'webhook'],
      ['pending_review', 'webhook'],
      ['approved', 'webhook'],
    ]);

    // A version whose image fails its health check is rolled back: the old one serves on.
    const sick = await anonymous.post<WebhookDelivery>(hook.url, pushOf(tagOf(UNHEALTHY_TEST_IMAGE)));
    expect(sick.status).toBe(202);
    expect(sick.body).toMatchObject({ version: '1.0.3', status: 'approved', redeployments: [{ deploymentId: created.body.deploymentId, from: '1.0.2', to: '1.0.3', outcome: 'failed' }] });
    expect(sick.body.redeployments[0]?.detail).toBe('the new version failed its health check GET /healthz for 6 s: answered 404; running version 1.0.2 again');
    expect((await alice.get<Deployment>(item)).body.version).toBe('1.0.2');
    const [restored] = await runtime.list({ 'citus.deployment': created.body.deploymentId });
    expect((await connectDocker(DOCKER_HOST).docker.getContainer(restored!).inspect()).Config.Image).toBe(TEST_IMAGE);
    expect(await waitFor(() => pageThrough(alice, '/apps/default/hello/'), 'the old version\'s page after the roll-back')).toBe(TEST_PAGE);
    expect(await waitFor(() => statusOfItem(alice, item, 'running'), 'the old version healthy again')).toMatchObject({ version: '1.0.2' });

    expect((await alice.delete(item)).status).toBe(204);
    const log = booted.log();
    expect(log).toContain(`/hooks/apps/${hook.hookId}/[redacted]`);
    expect(log).not.toContain(hookSecret);
    expect(log).not.toContain(SECRET);
  });
});
