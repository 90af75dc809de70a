import type { AppManifest, AppScope, RedeployOutcome } from '@citus/contracts';
import type { SqliteDatabase } from '@citus/sqlite';
import type { ContainerSpec } from '../src/domain/container-runtime.port.js';
import { DEV, HOME, REVIEWER, aManifest } from './support/app-fixture.js';
import { deliveryHarness, type DeliveryHarness } from './support/delivery-harness.js';

const version = (label: string, scopes: AppScope[]): AppManifest =>
  aManifest({ version: label, image: `citus/pump-watch:${label}`, scopes, secrets: ['TOKEN'] });

// A new version of a following deployment gets a key of its own, with the scopes its manifest asks for.
describe('replacing a deployment\'s version', () => {
  let harness: DeliveryHarness;
  let db: SqliteDatabase;
  let engine: DeliveryHarness['engine'];
  let keys: DeliveryHarness['keys'];
  let records: DeliveryHarness['records'];
  let catalog: DeliveryHarness['catalog'];
  let reviews: DeliveryHarness['reviews'];
  let deployments: DeliveryHarness['deployments'];
  let outcomes: RedeployOutcome[];

  beforeEach(() => {
    harness = deliveryHarness();
    ({ db, engine, keys, records, catalog, reviews, deployments, outcomes } = harness);
  });
  afterEach(() => harness.close());

  /** HOME's pump-watch 1.0.0 (devices:read) approved and deployed following its tag; answers the deployment's id. */
  async function followingDeployment(): Promise<{ appId: string; deploymentId: string }> {
    const app = await catalog.create(HOME, DEV, version('1.0.0', ['devices:read']));
    await catalog.submit(HOME.id, app.id, '1.0.0', DEV);
    await reviews.approve(app.id, '1.0.0', REVIEWER);
    const deployment = await deployments.deploy(HOME, app.id, DEV, { version: '1.0.0', env: { TOKEN: 's3cret' }, follow: 'tag' });
    return { appId: app.id, deploymentId: deployment.deploymentId };
  }

  async function approve(appId: string, label: string, scopes: AppScope[]): Promise<RedeployOutcome[]> {
    await catalog.addVersion(HOME.id, appId, DEV, version(label, scopes));
    await catalog.submit(HOME.id, appId, label, DEV);
    outcomes.length = 0;
    await reviews.approve(appId, label, REVIEWER);
    return [...outcomes];
  }

  const runningSpec = (): ContainerSpec => {
    expect(engine.running.size).toBe(1);
    return [...engine.running.values()][0] as ContainerSpec;
  };

  it('starts the new version with a new key holding its scopes, and revokes the old key once it runs', async () => {
    const { appId, deploymentId } = await followingDeployment();
    const [first] = keys.issued;
    expect(runningSpec().env).toMatchObject({ CITUS_API_KEY: first?.key, TOKEN: 's3cret' });

    expect(await approve(appId, '1.1.0', ['devices:read', 'shadows:write'])).toEqual([{ deploymentId, from: '1.0.0', to: '1.1.0', outcome: 'redeployed' }]);
    const second = keys.issued[1];
    expect(second).toMatchObject({ scopes: ['devices:read', 'shadows:write'] });
    expect(runningSpec()).toMatchObject({ image: 'citus/pump-watch:1.1.0', env: { CITUS_API_KEY: second?.key, TOKEN: 's3cret' } });
    expect(keys.revoked).toEqual([first?.keyId]);
    expect((await records.open(HOME.id, deploymentId)).apiKey).toEqual({ keyId: second?.keyId, key: second?.key });
  });

  it('keeps the old key and revokes the new one when the new version cannot start and the old one runs again', async () => {
    const { appId, deploymentId } = await followingDeployment();
    const [first] = keys.issued;
    engine.missing.add('citus/pump-watch:1.1.0');

    const [failed] = await approve(appId, '1.1.0', ['shadows:write']);
    expect(failed).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/no such image.*running version 1\.0\.0 again$/) });
    expect(runningSpec()).toMatchObject({ image: 'citus/pump-watch:1.0.0', env: { CITUS_API_KEY: first?.key } });
    expect(keys.issued.map((key) => key.scopes)).toEqual([['devices:read'], ['shadows:write']]);
    expect(keys.revoked).toEqual([keys.issued[1]?.keyId]);
    expect(await records.open(HOME.id, deploymentId)).toMatchObject({ version: '1.0.0', apiKey: { keyId: first?.keyId, key: first?.key } });
  });

  it('leaves the running version alone when no key can be issued, or its secrets do not open', async () => {
    const { appId, deploymentId } = await followingDeployment();
    const before = runningSpec();
    keys.fail.issue = true;
    expect(await approve(appId, '1.1.0', ['shadows:write'])).toEqual([expect.objectContaining({ outcome: 'failed', detail: 'the portal does not answer' })]);
    expect(runningSpec()).toBe(before);

    keys.fail.issue = false;
    db.prepare(`UPDATE deployments SET secret_env = replace(secret_env, 'TOKEN', 'OTHER') WHERE deployment_id = ?`).run(deploymentId);
    const [failed] = await approve(appId, '1.2.0', ['shadows:write']);
    expect(failed?.detail).toContain(`the secrets of deployment ${deploymentId} do not open`);
    expect(runningSpec()).toBe(before);
    expect(keys.issued).toHaveLength(1);
    expect(keys.revoked).toEqual([]);
    expect((await deployments.get(HOME.id, deploymentId)).version).toBe('1.0.0');
  });

  it('runs the new version and says so when the old key cannot be revoked', async () => {
    const { appId, deploymentId } = await followingDeployment();
    keys.fail.revoke = true;
    const [redeployed] = await approve(appId, '1.1.0', ['devices:read']);
    expect(redeployed).toEqual({
      deploymentId,
      from: '1.0.0',
      to: '1.1.0',
      outcome: 'redeployed',
      detail: `running version 1.1.0; the API key of version 1.0.0 (${keys.issued[0]?.keyId}) could not be revoked: the portal does not answer`,
    });
    expect(runningSpec().env).toMatchObject({ CITUS_API_KEY: keys.issued[1]?.key });
  });
});
