import { randomUUID } from 'node:crypto';
import { connectDocker } from '../src/adapters/docker/docker-connection.js';
import { DockerSwarmRuntime } from '../src/adapters/docker/docker-swarm.runtime.js';
import { createContainerRuntime } from '../src/runtime.factory.js';
import type { RuntimeStatus } from '../src/domain/container-runtime.port.js';
import {
  ensureReuseportImage,
  ensureSwarmManager,
  ensureTestImage,
  fetchPage,
  freePort,
  REUSEPORT_IMAGE,
  TEST_PAGE,
  testContainerSpec,
  waitFor,
} from './support/test-image.js';

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
const run = randomUUID().slice(0, 8);
const labels = { 'io.citus.test.run': run, 'io.citus.workspace': 'ws-swarm' };
const connection = connectDocker(DOCKER_HOST);
const runtime = new DockerSwarmRuntime(connection);

async function statusIs(name: string, expected: Pick<RuntimeStatus, 'state' | 'replicas'>): Promise<RuntimeStatus | undefined> {
  const status = await runtime.status(name);
  return status.state === expected.state && status.replicas.running === expected.replicas.running ? status : undefined;
}

beforeAll(async () => {
  await ensureSwarmManager(DOCKER_HOST);
  ensureTestImage(DOCKER_HOST);
  ensureReuseportImage(DOCKER_HOST);
});

afterAll(async () => {
  for (const name of await runtime.list({ 'io.citus.test.run': run })) await runtime.remove(name);
});

describe('DockerSwarmRuntime on a real Swarm manager', () => {
  test('answers availability as a Swarm manager', async () => {
    expect(await runtime.availability()).toEqual({ available: true, engine: expect.stringMatching(/Swarm manager$/) });
  });

  test('deploys a service on the host network, reports it, streams its logs, stops, restarts and removes it', async () => {
    const name = `citus-test-${run}-svc`;
    const port = await freePort();
    await runtime.deploy(testContainerSpec(name, port, labels));

    expect(await waitFor(() => fetchPage(port), 'the task on its port', 60_000)).toBe(TEST_PAGE);
    await waitFor(() => statusIs(name, { state: 'running', replicas: { desired: 1, running: 1 } }), 'one running task');
    expect(await runtime.list(labels)).toContain(name);
    const logs = await waitFor(async () => {
      const lines: string[] = [];
      for await (const line of runtime.logs(name, { follow: false })) lines.push(line);
      return lines.some((line) => line.includes('url:/')) ? lines : undefined;
    }, 'the request in the service logs');
    expect(logs.length).toBeGreaterThan(0);

    await runtime.stop(name);
    await waitFor(() => statusIs(name, { state: 'stopped', replicas: { desired: 0, running: 0 } }), 'no task');
    await runtime.restart(name);
    expect(await waitFor(() => fetchPage(port), 'the task after a restart', 60_000)).toBe(TEST_PAGE);
    expect((await runtime.status(name)).replicas.desired).toBe(1);

    await runtime.remove(name);
    expect((await runtime.status(name)).state).toBe('missing');
    await runtime.remove(name);
  });

  test('the task is confined: read-only root, no capabilities, no mounts but /tmp, limits, labels, host network', async () => {
    const name = `citus-test-${run}-confined`;
    const spec = testContainerSpec(name, await freePort(), labels);
    await runtime.deploy(spec);
    const service = await connection.docker.getService(name).inspect();
    const task = service.Spec.TaskTemplate;
    expect(service.Spec.Labels).toEqual(labels);
    expect(task.ContainerSpec.ReadOnly).toBe(true);
    expect(task.ContainerSpec.CapabilityDrop).toEqual(['ALL']);
    expect(task.ContainerSpec.Mounts).toEqual([expect.objectContaining({ Type: 'tmpfs', Target: '/tmp' })]);
    expect(task.Resources.Limits).toEqual(expect.objectContaining({ MemoryBytes: spec.resources.memoryBytes, NanoCPUs: spec.resources.nanoCpus }));
    expect(task.ContainerSpec.Privileges).toBeUndefined();

    const container = await waitFor(async () => {
      const [found] = await connection.docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${name}`] } });
      return found && connection.docker.getContainer(found.Id).inspect();
    }, 'the task container');
    expect(container.HostConfig.NetworkMode).toBe('host');
    expect(container.HostConfig.ReadonlyRootfs).toBe(true);
    expect(container.HostConfig.Privileged).toBe(false);
    expect(container.HostConfig.Binds ?? []).toEqual([]);
    expect(container.Mounts.map((m) => m.Type)).toEqual(['tmpfs']);
    expect(container.HostConfig.Memory).toBe(spec.resources.memoryBytes);
    expect(container.Config.Labels).toEqual(expect.objectContaining(labels));
    expect(service.Endpoint?.Ports ?? []).toEqual([]);
  });

  test('a second deploy with the same name is a conflict', async () => {
    const name = `citus-test-${run}-twice`;
    await runtime.deploy(testContainerSpec(name, await freePort(), labels));
    await expect(runtime.deploy(testContainerSpec(name, await freePort(), labels))).rejects.toMatchObject({ code: 'conflict' });
  });

  test('scales from one replica to two, both running and serving the same port', async () => {
    const name = `citus-test-${run}-scaled`;
    const port = await freePort();
    await runtime.deploy({ ...testContainerSpec(name, port, labels), image: REUSEPORT_IMAGE, replicas: 1 });
    await waitFor(() => statusIs(name, { state: 'running', replicas: { desired: 1, running: 1 } }), 'one running task', 60_000);

    await runtime.scale(name, 2);
    const scaled = await waitFor(() => statusIs(name, { state: 'running', replicas: { desired: 2, running: 2 } }), 'two running tasks', 60_000);
    expect(scaled.replicas).toEqual({ desired: 2, running: 2 });
    const tasks = await connection.docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } });
    expect(tasks.map((t: { Status: { State: string } }) => t.Status.State)).toEqual(['running', 'running']);

    // The kernel spreads connections between the two SO_REUSEPORT listeners by their source port.
    const servers = new Set<string>();
    await waitFor(async () => {
      servers.add((await fetchPage(port)) ?? '');
      return servers.size >= 2 ? servers : undefined;
    }, 'answers from both replicas');
    expect([...servers].every((page) => page.startsWith('hello from '))).toBe(true);
  });
});

describe('DockerSwarmRuntime without an engine', () => {
  const unreachable = new DockerSwarmRuntime(connectDocker('unix:///nonexistent.sock'));

  test('availability is false and deploy answers unavailable, naming DOCKER_HOST', async () => {
    const availability = await unreachable.availability();
    expect(availability.available === false && availability.reason).toContain('DOCKER_HOST=unix:///nonexistent.sock');
    await expect(unreachable.deploy(testContainerSpec(`citus-test-${run}-nowhere`, 1024, labels))).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('DOCKER_HOST=unix:///nonexistent.sock'),
    });
  });
});

describe('createContainerRuntime', () => {
  test('picks the adapter CITUS_APP_RUNTIME names, on DOCKER_HOST', async () => {
    const swarm = createContainerRuntime({ CITUS_APP_RUNTIME: 'swarm', DOCKER_HOST });
    const docker = createContainerRuntime({ CITUS_APP_RUNTIME: 'docker', DOCKER_HOST: 'unix:///nonexistent.sock' });
    expect(swarm.kind).toBe('swarm');
    expect((await swarm.availability()).available).toBe(true);
    expect(docker.kind).toBe('docker');
    expect(await docker.availability()).toMatchObject({ available: false, reason: expect.stringContaining('unix:///nonexistent.sock') });
    expect(() => createContainerRuntime({ CITUS_APP_RUNTIME: 'docker', DOCKER_HOST: 'ssh://box' })).toThrow(/DOCKER_HOST=ssh:\/\/box/);
  });
});
