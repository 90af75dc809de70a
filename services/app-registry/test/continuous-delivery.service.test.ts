import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AesGcmSecretCipher, loggedPath, type AppError } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { APP_MIGRATIONS } from '../src/adapters/sqlite/app.migrations.js';
import { SqliteAppRepository } from '../src/adapters/sqlite/app.repository.js';
import { SqliteAppWebhookRepository } from '../src/adapters/sqlite/app-webhook.repository.js';
import { SqliteDeploymentRepository } from '../src/adapters/sqlite/deployment.repository.js';
import { AppCatalogService } from '../src/app/app-catalog.service.js';
import { AppInstallService } from '../src/app/app-install.service.js';
import { AppReviewService } from '../src/app/app-review.service.js';
import { ContinuousDeliveryService } from '../src/app/continuous-delivery.service.js';
import { DeploymentService } from '../src/app/deployment.service.js';
import type { ContainerSpec } from '../src/domain/container-runtime.port.js';
import { DEV, HOME, OTHER, REVIEWER, aManifest } from './support/app-fixture.js';
import { inMemoryRuntime } from './support/in-memory-engine.js';

const push = (tag: string, repoName = 'citus/pump-watch') => ({ push_data: { tag }, repository: { repo_name: repoName } });
const secretOf = (url: string): [string, string] => url.split('/').slice(-2) as [string, string];

describe('continuous delivery and installs', () => {
  let dir: string;
  let db: SqliteDatabase;
  let engine: ReturnType<typeof inMemoryRuntime>;
  let catalog: AppCatalogService;
  let reviews: AppReviewService;
  let deployments: DeploymentService;
  let delivery: ContinuousDeliveryService;
  let installs: AppInstallService;
  let nextPort: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-delivery-'));
    db = openDatabase(join(dir, 'apps.db'), { module: 'app-registry', migrations: APP_MIGRATIONS });
    const apps = new SqliteAppRepository(db);
    const records = new SqliteDeploymentRepository(db, new AesGcmSecretCipher(Buffer.alloc(32, 1)));
    engine = inMemoryRuntime();
    nextPort = 42_000;
    catalog = new AppCatalogService(apps);
    deployments = new DeploymentService(catalog, records, engine.runtime, { allocate: async () => (nextPort += 1), isFree: async () => true });
    delivery = new ContinuousDeliveryService(apps, new SqliteAppWebhookRepository(db), records, deployments);
    reviews = new AppReviewService(apps, Date.now, async (version) => void (await delivery.afterApproval(version)));
    installs = new AppInstallService(apps, deployments);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** HOME's pump-watch, its version 1.0.0 approved; answers its id. */
  async function approvedApp() {
    const app = await catalog.create(HOME, DEV, aManifest());
    await catalog.submit(HOME.id, app.id, '1.0.0', DEV);
    await reviews.approve(app.id, '1.0.0', REVIEWER);
    return app.id;
  }

  it('answers 404 alike for an unknown hook and a wrong secret, and stops the old URL when rotated', async () => {
    const appId = await approvedApp();
    const [hookId, secret] = secretOf((await delivery.createWebhook(HOME.id, appId, DEV)).url);
    await expect(delivery.webhook(hookId, `${secret}x`)).rejects.toMatchObject({ code: 'not_found', message: 'webhook not found' });
    await expect(delivery.webhook(`hook_${'f'.repeat(24)}`, secret)).rejects.toMatchObject({ code: 'not_found', message: 'webhook not found' });
    expect((await delivery.webhook(hookId, secret)).appId).toBe(appId);
    await expect(delivery.createWebhook(OTHER.id, appId, DEV)).rejects.toMatchObject({ code: 'not_found' });

    const rotated = await delivery.createWebhook(HOME.id, appId, DEV);
    await expect(delivery.webhook(hookId, secret)).rejects.toMatchObject({ code: 'not_found' });
    expect((await delivery.webhook(...secretOf(rotated.url))).hookId).toBe(rotated.hookId);
    expect(JSON.stringify(db.prepare('SELECT * FROM app_webhooks').all())).not.toContain(secretOf(rotated.url)[1]);
  });

  it('refuses a push of another repository', async () => {
    const appId = await approvedApp();
    const hook = await delivery.webhook(...secretOf((await delivery.createWebhook(HOME.id, appId, DEV)).url));
    const refused = delivery.receive(hook, push('2.0.0', 'citus/other'));
    await expect(refused).rejects.toMatchObject({ code: 'bad_request', message: "this app's images are citus/pump-watch, not citus/other" } satisfies Partial<AppError>);
  });

  it('puts a pushed tag up for review, then redeploys only the following deployments once it is approved', async () => {
    const appId = await approvedApp();
    const following = await deployments.deploy(HOME, appId, DEV, { version: '1.0.0', env: {}, follow: 'tag' });
    const hook = await delivery.webhook(...secretOf((await delivery.createWebhook(HOME.id, appId, DEV)).url));

    const delivered = await delivery.receive(hook, push('1.1.0'));
    expect(delivered).toEqual({ appId, version: '1.1.0', status: 'pending_review', image: 'citus/pump-watch:1.1.0', redeployments: [] });
    expect((await deployments.get(HOME.id, following.deploymentId)).version).toBe('1.0.0');

    await reviews.approve(appId, '1.1.0', REVIEWER);
    const after = await deployments.get(HOME.id, following.deploymentId);
    expect(after).toMatchObject({ version: '1.1.0', status: 'running', follow: 'tag' });
    expect([...engine.running.values()].map((spec) => spec.image)).toEqual(['citus/pump-watch:1.1.0']);
    const audit = (await catalog.audit(HOME.id, appId)).items.filter((entry) => entry.version === '1.1.0');
    expect(audit.map((entry) => [entry.to, entry.actor.username])).toEqual([['draft', 'webhook'], ['pending_review', 'webhook'], ['approved', 'admin']]);
  });

  it('redeploys a deployment that follows one tag for a push of that tag only, and keeps the setting through a redeploy', async () => {
    const appId = await approvedApp();
    await reviews.setPolicy(appId, { autoApprove: true });
    const stable = await deployments.deploy(HOME, appId, DEV, { version: '1.0.0', env: {}, follow: 'tag', followTag: 'stable' });
    expect(stable).toMatchObject({ follow: 'tag', followTag: 'stable' });
    const hook = await delivery.webhook(...secretOf((await delivery.createWebhook(HOME.id, appId, DEV)).url));

    expect((await delivery.receive(hook, push('dev'))).redeployments).toEqual([]);
    expect((await deployments.get(HOME.id, stable.deploymentId)).version).toBe('1.0.0');
    const pushed = await delivery.receive(hook, push('stable'));
    expect(pushed.redeployments).toEqual([expect.objectContaining({ deploymentId: stable.deploymentId, to: pushed.version, outcome: 'redeployed' })]);
    expect(await deployments.get(HOME.id, stable.deploymentId)).toMatchObject({ version: pushed.version, followTag: 'stable' });

    // Following every version again drops the tag.
    expect(await deployments.update(HOME.id, stable.deploymentId, 'tag')).not.toHaveProperty('followTag');
    expect((await delivery.receive(hook, push('dev'))).redeployments).toHaveLength(1);
  });

  it('counts an image named without a tag as latest for a deployment that follows latest', async () => {
    const appId = await approvedApp();
    const latest = await deployments.deploy(HOME, appId, DEV, { version: '1.0.0', env: {}, follow: 'tag', followTag: 'latest' });
    await catalog.addVersion(HOME.id, appId, DEV, aManifest({ version: '1.1.0', image: 'citus/pump-watch' }));
    await catalog.submit(HOME.id, appId, '1.1.0', DEV);
    await reviews.approve(appId, '1.1.0', REVIEWER);
    expect((await deployments.get(HOME.id, latest.deploymentId)).version).toBe('1.1.0');
  });

  it('moves the container port with the version a redeploy runs, and back with a rollback', async () => {
    const app = await catalog.create(HOME, DEV, aManifest({ port: { protocol: 'http', containerPort: 8080 } }));
    await catalog.submit(HOME.id, app.id, '1.0.0', DEV);
    await reviews.approve(app.id, '1.0.0', REVIEWER);
    await deployments.deploy(HOME, app.id, DEV, { version: '1.0.0', env: {}, follow: 'tag' });
    const running = () => [...engine.running.values()][0] as ContainerSpec;
    expect([running().containerPort, running().env.PORT]).toEqual([8080, '8080']);

    const release = async (version: string, port?: number) => {
      await catalog.addVersion(HOME.id, app.id, DEV, aManifest({ version, image: `citus/pump-watch:${version}`, ...(port === undefined ? {} : { port: { protocol: 'http', containerPort: port } }) }));
      await catalog.submit(HOME.id, app.id, version, DEV);
      await reviews.approve(app.id, version, REVIEWER);
    };
    // A version that names no port listens where the platform says: on the deployment's host port.
    await release('1.1.0');
    expect(running().image).toBe('citus/pump-watch:1.1.0');
    expect([running().containerPort, running().env.PORT]).toEqual([running().hostPort, String(running().hostPort)]);

    // One that cannot start is rolled back: 1.1.0 runs again where it listened.
    engine.missing.add('citus/pump-watch:1.2.0');
    await release('1.2.0', 9090);
    expect(running().image).toBe('citus/pump-watch:1.1.0');
    expect([running().containerPort, running().env.PORT]).toEqual([running().hostPort, String(running().hostPort)]);
    await release('1.3.0', 9090);
    expect([running().image, running().containerPort, running().env.PORT]).toEqual(['citus/pump-watch:1.3.0', 9090, '9090']);
  });

  it('approves at once with autoApprove, keeps pinned deployments, and restores the old version when the new image cannot start', async () => {
    const appId = await approvedApp();
    await reviews.setPolicy(appId, { autoApprove: true });
    const following = await deployments.deploy(HOME, appId, DEV, { version: '1.0.0', env: {}, follow: 'tag' });
    const hook = await delivery.webhook(...secretOf((await delivery.createWebhook(HOME.id, appId, DEV)).url));

    const delivered = await delivery.receive(hook, push('latest'));
    expect(delivered).toMatchObject({ version: '1.0.1', status: 'approved', redeployments: [{ deploymentId: following.deploymentId, from: '1.0.0', to: '1.0.1', outcome: 'redeployed' }] });
    expect((await catalog.audit(HOME.id, appId)).items.at(-1)).toMatchObject({ version: '1.0.1', to: 'approved', actor: { username: 'webhook' } });

    await deployments.update(HOME.id, following.deploymentId, 'pinned');
    expect((await delivery.receive(hook, push('1.2.0'))).redeployments).toEqual([]);
    await deployments.update(HOME.id, following.deploymentId, 'tag');

    engine.missing.add('citus/pump-watch:1.3.0');
    const failed = await delivery.receive(hook, push('1.3.0'));
    expect(failed.redeployments).toEqual([
      expect.objectContaining({ outcome: 'failed', from: '1.0.1', detail: expect.stringMatching(/no such image.*running version 1\.0\.1 again$/) }),
    ]);
    expect(await deployments.get(HOME.id, following.deploymentId)).toMatchObject({ version: '1.0.1', status: 'running' });
  });

  it('installs a published app into another workspace, pinned, out of the publisher\'s sight, refusing a name clash', async () => {
    const appId = await approvedApp();
    await expect(installs.install(OTHER, appId, DEV, { env: {} })).rejects.toMatchObject({ code: 'not_found' });
    await catalog.publish(HOME.id, appId, '1.0.0', DEV);

    const installed = await installs.install(OTHER, appId, DEV, { env: {} });
    expect(installed).toMatchObject({ appId, workspaceSlug: OTHER.slug, installedFrom: HOME.slug, follow: 'pinned', url: '/apps/other/pump-watch/' });
    expect((await deployments.list(HOME.id)).items).toEqual([]);
    expect((await deployments.list(OTHER.id)).items.map((item) => item.deploymentId)).toEqual([installed.deploymentId]);
    await expect(deployments.update(OTHER.id, installed.deploymentId, 'tag')).rejects.toMatchObject({ code: 'conflict' });
    await expect(installs.install(OTHER, appId, DEV, { env: {} })).rejects.toMatchObject({
      code: 'conflict',
      message: 'this workspace already runs a deployment of pump-watch: remove it first',
    });
    await expect(installs.install(HOME, appId, DEV, { env: {} })).rejects.toMatchObject({ code: 'conflict' });

    await deployments.remove(OTHER.id, installed.deploymentId);
    await catalog.create(OTHER, DEV, aManifest());
    await expect(installs.install(OTHER, appId, DEV, { env: {} })).rejects.toMatchObject({
      code: 'conflict',
      message: 'this workspace has its own app named pump-watch, and /apps/other/pump-watch/ can lead to only one of them',
    });
  });
});

describe('the HTTP log of a webhook URL', () => {
  it('leaves out the secret in the path, whatever its case or query', () => {
    expect(loggedPath('/hooks/apps/hook_1/s3cret')).toBe('/hooks/apps/hook_1/[redacted]');
    expect(loggedPath('/HOOKS/apps/hook_1/s3cret/more?x=1')).toBe('/HOOKS/apps/hook_1/[redacted]');
    expect(loggedPath('/api/v1/apps?q=1')).toBe('/api/v1/apps');
  });
});
