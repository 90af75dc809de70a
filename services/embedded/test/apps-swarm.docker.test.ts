import { App, Deployment, type AppManifest } from '@citus/contracts';
import { connectDocker } from '../../app-registry/src/adapters/docker/docker-connection.js';
import { DockerSwarmRuntime } from '../../app-registry/src/adapters/docker/docker-swarm.runtime.js';
import { ensureReplicaImage, ensureSwarmManager, REPLICA_IMAGE, waitFor } from '../../app-registry/test/support/test-image.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, type TestPlatform } from './support/test-platform.js';

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';

const manifest: Partial<AppManifest> = {
  name: 'twins',
  version: '1.0.0',
  description: 'Answers with the name of the replica that served the request',
  category: 'utilities',
  image: REPLICA_IMAGE,
  resources: { memoryMb: 32, cpuMillicores: 100 },
  // The static server writes nothing to disk and needs no shell.
  readOnlyRootFilesystem: true,
};

// Issue 7 points 3 and 7: with CITUS_APP_RUNTIME=swarm a deployment is a Swarm service that the API
// scales to 2, and the proxy takes turns over both replicas (each published on a loopback port of its own).
describe('app deployments on Docker Swarm through the platform', () => {
  const runtime = new DockerSwarmRuntime(connectDocker(DOCKER_HOST));
  let platform: TestPlatform;
  let admin: Api;
  let appId: string;

  beforeAll(async () => {
    await ensureSwarmManager(DOCKER_HOST);
    ensureReplicaImage(DOCKER_HOST);
    platform = await bootTestPlatform({ DOCKER_HOST, CITUS_APP_RUNTIME: 'swarm' });
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const created = await admin.post<App>('/api/v1/apps', manifest);
    expect(created.status).toBe(201);
    appId = created.body.id;
    expect((await admin.post(`/api/v1/apps/${appId}/versions/1.0.0/submit`)).status).toBe(200);
    expect((await admin.post(`/api/v1/apps/${appId}/versions/1.0.0/approve`)).status).toBe(200);
  });

  afterAll(async () => {
    if (appId) for (const name of await runtime.list({ 'citus.app': appId })) await runtime.remove(name);
    await platform?.destroy();
  });

  it('deploys a service, scales it to 2 replicas that both answer through the proxy, and removes it', async () => {
    const deployed = await admin.post<Deployment>(`/api/v1/apps/${appId}/deployments`, { version: '1.0.0' });
    expect(deployed.status).toBe(201);
    const item = `/api/v1/deployments/${deployed.body.deploymentId}`;
    const running = (replicas: number) => async () => {
      const answer = await admin.get<Deployment>(item);
      return answer.body.status === 'running' && answer.body.replicas?.running === replicas ? answer.body : undefined;
    };
    await waitFor(running(1), 'one replica running', 60_000);

    const scaled = await admin.post<Deployment>(`${item}/scale`, { replicas: 2 });
    expect(scaled.status).toBe(200);
    expect((await waitFor(running(2), 'two replicas running', 60_000)).replicas).toEqual({ desired: 2, running: 2 });

    // The proxy takes turns over the replicas it knows (it asks the engine again after a second).
    const replicas = new Set<string>();
    await waitFor(async () => {
      const page = await admin.get<string>('/apps/default/twins/');
      if (page.status === 200) replicas.add(String(page.body).trim());
      return replicas.size === 2 ? replicas : undefined;
    }, 'answers from both replicas through the proxy', 30_000);
    expect([...replicas].every((page) => page.startsWith('hello from '))).toBe(true);

    expect((await admin.delete(item)).status).toBe(204);
    await waitFor(async () => ((await runtime.list({ 'citus.app': appId })).length === 0 ? true : undefined), 'the service gone');
  }, 150_000);
});
