import type { AppHealthCheck, AppManifest, RedeployOutcome } from '@citus/contracts';
import type { SqliteDatabase } from '@citus/sqlite';
import { DeploymentHealth } from '../src/app/deployment-health.js';
import { onLoopback, type ContainerSpec, type Endpoint } from '../src/domain/container-runtime.port.js';
import { DEV, HOME, REVIEWER, aManifest } from './support/app-fixture.js';
import { deliveryHarness, type DeliveryHarness } from './support/delivery-harness.js';
import { scriptedProbe, steppingClock } from './support/in-memory-engine.js';

const CHECK_1_0: AppHealthCheck = { path: '/healthz', intervalSeconds: 15, timeoutSeconds: 5, retries: 3 };
const CHECK_1_1: AppHealthCheck = { path: '/ready', intervalSeconds: 5, timeoutSeconds: 2, retries: 2 };

const version = (label: string, healthCheck: AppHealthCheck, name = 'pump-watch'): AppManifest =>
  aManifest({ name, version: label, image: `citus/${name}:${label}`, healthCheck, scopes: ['devices:read'] });

// The platform runs the manifest's health check: views show `unhealthy`, a redeploy waits for health or rolls back.
describe('health-checked deployments', () => {
  let harness: DeliveryHarness;
  let db: SqliteDatabase;
  let engine: DeliveryHarness['engine'];
  let keys: DeliveryHarness['keys'];
  let probe: ReturnType<typeof scriptedProbe>;
  let time: ReturnType<typeof steppingClock>;
  let records: DeliveryHarness['records'];
  let catalog: DeliveryHarness['catalog'];
  let reviews: DeliveryHarness['reviews'];
  let deployments: DeliveryHarness['deployments'];
  let outcomes: RedeployOutcome[];

  beforeEach(() => {
    probe = scriptedProbe();
    time = steppingClock();
    harness = deliveryHarness({ health: new DeploymentHealth(probe.probe, time.clock) });
    ({ db, engine, keys, records, catalog, reviews, deployments, outcomes } = harness);
  });
  afterEach(() => harness.close());

  /** HOME's app 1.0.0 approved and deployed following its tag; answers the deployment. */
  async function following(name = 'pump-watch') {
    const app = await catalog.create(HOME, DEV, version('1.0.0', CHECK_1_0, name));
    await catalog.submit(HOME.id, app.id, '1.0.0', DEV);
    await reviews.approve(app.id, '1.0.0', REVIEWER);
    const deployment = await deployments.deploy(HOME, app.id, DEV, { version: '1.0.0', env: {}, follow: 'tag' });
    return deployment;
  }

  async function approve(appId: string, label: string, check: AppHealthCheck): Promise<RedeployOutcome[]> {
    await catalog.addVersion(HOME.id, appId, DEV, version(label, check));
    await catalog.submit(HOME.id, appId, label, DEV);
    outcomes.length = 0;
    await reviews.approve(appId, label, REVIEWER);
    return [...outcomes];
  }

  const runningSpec = (): ContainerSpec => {
    expect(engine.running.size).toBe(1);
    return [...engine.running.values()][0] as ContainerSpec;
  };

  describe('a redeploy', () => {
    it('runs the new version once it answers its check, probed every second on its port', async () => {
      const { appId, deploymentId } = await following();
      probe.calls.length = 0;
      let answers = 0;
      probe.script.answer = () => ((answers += 1) < 3 ? { healthy: false, detail: 'no answer (ECONNREFUSED)' } : { healthy: true });

      expect(await approve(appId, '1.1.0', CHECK_1_1)).toEqual([{ deploymentId, from: '1.0.0', to: '1.1.0', outcome: 'redeployed' }]);
      expect(probe.calls).toEqual(Array(3).fill({ hostPort: runningSpec().hostPort, path: '/ready', timeoutMs: 2_000 }));
      expect(time.slept).toEqual([1_000, 1_000]);
      expect(runningSpec().image).toBe('citus/pump-watch:1.1.0');
      expect(keys.revoked).toEqual([keys.issued[0]?.keyId]);
      expect((await records.find(HOME.id, deploymentId))?.healthCheck).toEqual(CHECK_1_1);
    });

    it('rolls back to the old version, its key and its check when the new one never answers, saying what it answered', async () => {
      const { appId, deploymentId } = await following();
      const [oldKey] = keys.issued;
      probe.script.answer = (_port, path) => (path === '/ready' ? { healthy: false, detail: 'answered 503' } : { healthy: true });

      const [failed] = await approve(appId, '1.1.0', CHECK_1_1);
      expect(failed).toEqual({
        deploymentId,
        from: '1.0.0',
        to: '1.1.0',
        outcome: 'failed',
        detail: 'the new version failed its health check GET /ready for 12 s: answered 503; running version 1.0.0 again',
      });
      // timeoutSeconds + intervalSeconds * retries = 2 + 5 * 2: probed at 0, 1, ..., 12 s.
      expect(time.slept).toEqual(Array(12).fill(1_000));
      expect(probe.calls.filter((call) => call.path === '/ready')).toHaveLength(13);
      expect(runningSpec()).toMatchObject({ image: 'citus/pump-watch:1.0.0', env: { CITUS_API_KEY: oldKey?.key } });
      expect(keys.revoked).toEqual([keys.issued[1]?.keyId]);
      expect(await records.open(HOME.id, deploymentId)).toMatchObject({ version: '1.0.0', healthCheck: CHECK_1_0, apiKey: { keyId: oldKey?.keyId, key: oldKey?.key } });
      expect(await deployments.get(HOME.id, deploymentId)).toMatchObject({ version: '1.0.0', status: 'running' });
    });

    it('waits until a replica runs and every replica answers (Swarm starts them one by one)', async () => {
      const health = new DeploymentHealth(probe.probe, time.clock);
      const polls: number[][] = [[], [41_001, 41_002], [41_001, 41_002]];
      let second = 0;
      probe.script.answer = (port) => (port === 41_002 && second++ === 0 ? { healthy: false, detail: 'no answer (ECONNREFUSED)' } : { healthy: true });
      expect(await health.waitUntilHealthy(async () => (polls.shift() ?? []).map(onLoopback), CHECK_1_0)).toBeUndefined();
      // None yet; then the second one does not answer; then both do.
      expect(probe.calls.map((call) => call.hostPort)).toEqual([41_001, 41_002, 41_001, 41_002]);
      expect(time.slept).toEqual([1_000, 1_000]);
    });

    it('names what failed when no replica ever runs', async () => {
      const health = new DeploymentHealth(probe.probe, time.clock);
      expect(await health.waitUntilHealthy(async () => [], CHECK_1_1)).toBe('the new version failed its health check GET /ready for 12 s: no replica publishes its port yet');
      expect(probe.calls).toEqual([]);
    });

    it('goes on waiting when the engine cannot say where the replicas are, and names that when time runs out', async () => {
      const health = new DeploymentHealth(probe.probe, time.clock);
      let asked = 0;
      const flaky = async () => {
        asked += 1;
        if (asked <= 2) throw new Error('Docker engine at DOCKER_HOST=unix:///var/run/docker.sock: connect ECONNREFUSED');
        return [onLoopback(41_003)];
      };
      expect(await health.waitUntilHealthy(flaky, CHECK_1_1)).toBeUndefined();
      expect([asked, probe.calls.map((call) => call.hostPort)]).toEqual([3, [41_003]]);
      const down = async (): Promise<Endpoint[]> => Promise.reject(new Error('connect ECONNREFUSED'));
      expect(await health.waitUntilHealthy(down, CHECK_1_1)).toBe('the new version failed its health check GET /ready for 12 s: the engine did not list the replicas: connect ECONNREFUSED');
    });

    it('waits at most 120 s, whatever the manifest allows', async () => {
      const health = new DeploymentHealth(probe.probe, time.clock);
      probe.script.answer = () => ({ healthy: false, detail: 'no answer within 30 s' });
      const patient = { path: '/healthz', intervalSeconds: 60, timeoutSeconds: 30, retries: 10 };
      expect(await health.waitUntilHealthy(async () => [onLoopback(44_444)], patient)).toBe('the new version failed its health check GET /healthz for 120 s: no answer within 30 s');
      expect(time.slept.reduce((sum, ms) => sum + ms, 0)).toBe(120_000);
    });
  });

  describe('views', () => {
    it('show `unhealthy` with what the check answered when the engine runs it, probing with at most 3 s', async () => {
      const { deploymentId } = await following();
      const port = runningSpec().hostPort;
      probe.script.answer = () => ({ healthy: false, detail: 'answered 503' });
      probe.calls.length = 0;

      expect(await deployments.get(HOME.id, deploymentId)).toMatchObject({ status: 'unhealthy', detail: 'health check GET /healthz: answered 503' });
      expect(probe.calls).toEqual([{ hostPort: port, path: '/healthz', timeoutMs: 3_000 }]);

      probe.script.answer = () => ({ healthy: true });
      expect(await deployments.get(HOME.id, deploymentId)).toMatchObject({ status: 'running' });
      expect(await deployments.get(HOME.id, deploymentId)).not.toHaveProperty('detail');
    });

    it('probe only running deployments that have a check, and show one just started as `starting` until it answers', async () => {
      probe.script.answer = () => ({ healthy: false, detail: 'no answer (ECONNREFUSED)' });
      const { deploymentId } = await following();
      expect(await deployments.get(HOME.id, deploymentId)).toMatchObject({ status: 'unhealthy' });
      expect(await deployments.restart(HOME.id, deploymentId)).toMatchObject({ status: 'starting', detail: 'health check GET /healthz: no answer (ECONNREFUSED)' });

      probe.calls.length = 0;
      expect(await deployments.stop(HOME.id, deploymentId)).toMatchObject({ status: 'stopped' });
      expect(probe.calls).toEqual([]);
      await deployments.restart(HOME.id, deploymentId);
      probe.calls.length = 0;
      // A row from before the platform checked: not checked.
      db.prepare('UPDATE deployments SET health_check = NULL WHERE deployment_id = ?').run(deploymentId);
      expect(await deployments.get(HOME.id, deploymentId)).toMatchObject({ status: 'running' });
      expect(probe.calls).toEqual([]);
    });

    it('show a deployment the engine runs but whose replicas publish no port as failing the check', async () => {
      const { deploymentId } = await following();
      engine.replicaPorts.set(runningSpec().name, []);
      probe.calls.length = 0;
      expect(await deployments.get(HOME.id, deploymentId)).toMatchObject({ status: 'unhealthy', detail: 'health check GET /healthz: no replica publishes its port yet' });
      expect(probe.calls).toEqual([]);
    });

    it('probe every replica, and name the port of the one that fails', async () => {
      const { deploymentId } = await following();
      engine.replicaPorts.set(runningSpec().name, [42_001, 42_002]);
      probe.script.answer = (port) => (port === 42_002 ? { healthy: false, detail: 'answered 500' } : { healthy: true });
      probe.calls.length = 0;
      expect(await deployments.get(HOME.id, deploymentId)).toMatchObject({ status: 'unhealthy', detail: 'health check GET /healthz: answered 500 (the replica on port 42002)' });
      expect(probe.calls.map((call) => call.hostPort).sort()).toEqual([42_001, 42_002]);
    });

    it('probe the deployments of a list at the same time', async () => {
      await following('pump-watch');
      await following('tank-level');
      let release = (): void => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      probe.script.answer = async () => {
        await gate;
        return { healthy: true };
      };
      probe.calls.length = 0;
      const listing = deployments.list(HOME.id);
      // Sequential probes would stop at one call: the first waits on the gate.
      for (let tick = 0; tick < 100 && probe.calls.length < 2; tick += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(probe.calls).toHaveLength(2);
      release();
      expect((await listing).items.map((item) => [item.appName, item.status])).toEqual([
        ['pump-watch', 'running'],
        ['tank-level', 'running'],
      ]);
    });
  });
});
