import { randomUUID } from 'node:crypto';
import { connectDocker } from '../src/adapters/docker/docker-connection.js';
import { HOST_BINDING_OPTION, ICC_OPTION, swarmConfigName } from '../src/adapters/docker/docker-network.js';
import { DEFAULT_SWARM_APP_NETWORK, DockerSwarmRuntime } from '../src/adapters/docker/docker-swarm.runtime.js';
import { createContainerRuntime } from '../src/runtime.factory.js';
import type { RuntimeStatus } from '../src/domain/container-runtime.port.js';
import {
  ensureReplicaImage,
  ensureSwarmManager,
  ensureTestImage,
  execIn,
  fetchPage,
  freePort,
  REPLICA_IMAGE,
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
  ensureReplicaImage(DOCKER_HOST);
});

/** The host ports of a service's running tasks, once there are `count` of them. */
const endpointsOf = (name: string, port: number, count = 1) =>
  waitFor(async () => {
    const ports = (await runtime.endpoints(name, { hostPort: port, containerPort: port })).map((endpoint) => {
      expect(endpoint.host).toBe('127.0.0.1');
      return endpoint.port;
    });
    return ports.length === count ? ports : undefined;
  }, `${count} published task port(s) of ${name}`, 60_000);

/** The container of a service's (first) task on this node. */
const taskContainer = (name: string) =>
  waitFor(async () => {
    const [found] = await connection.docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${name}`] } });
    return found && connection.docker.getContainer(found.Id).inspect();
  }, `the task container of ${name}`);

afterAll(async () => {
  for (const name of await runtime.list({ 'io.citus.test.run': run })) await runtime.remove(name);
});

describe('DockerSwarmRuntime on a real Swarm manager', () => {
  test('answers availability as a Swarm manager', async () => {
    expect(await runtime.availability()).toEqual({ available: true, engine: expect.stringMatching(/Swarm manager$/) });
  });

  test('deploys a service on its published port, reports it, streams its logs, stops, restarts and removes it', async () => {
    const name = `citus-test-${run}-svc`;
    const port = await freePort();
    await runtime.deploy(testContainerSpec(name, port, labels));

    const [published] = await endpointsOf(name, port);
    expect(await waitFor(() => fetchPage(published as number), 'the task on its published port', 60_000)).toBe(TEST_PAGE);
    await waitFor(() => statusIs(name, { state: 'running', replicas: { desired: 1, running: 1 } }), 'one running task');
    expect(await runtime.list(labels)).toContain(name);
    const logs = await waitFor(async () => {
      const lines: string[] = [];
      for await (const line of runtime.logs(name, { follow: false })) lines.push(line);
      return lines.some((line) => line.includes('url:/')) ? lines : undefined;
    }, 'the request in the service logs');
    expect(logs.length).toBeGreaterThan(0);

    // Followed, new lines come as they are written; an abort ends the stream.
    const stopped = new AbortController();
    const followed = runtime.logs(name, { follow: true, tail: 0, signal: stopped.signal })[Symbol.asyncIterator]();
    const probe = `/probe-${run}`;
    let found: string | undefined;
    const reading = (async () => {
      for (let next = await followed.next(); !next.done; next = await followed.next()) {
        if (next.value.includes(`url:${probe}`)) return (found = next.value);
      }
      return undefined;
    })();
    await waitFor(async () => {
      await fetch(`http://127.0.0.1:${published}${probe}`);
      return found;
    }, 'the probe request in the followed service logs', 60_000);
    expect(found).toContain(probe);
    stopped.abort();
    await reading;

    await runtime.stop(name);
    await waitFor(() => statusIs(name, { state: 'stopped', replicas: { desired: 0, running: 0 } }), 'no task');
    expect(await runtime.endpoints(name, { hostPort: port, containerPort: port })).toEqual([]);
    await runtime.restart(name);
    const [again] = await endpointsOf(name, port);
    expect(await waitFor(() => fetchPage(again as number), 'the task after a restart', 60_000)).toBe(TEST_PAGE);
    expect((await runtime.status(name)).replicas.desired).toBe(1);

    await runtime.remove(name);
    expect((await runtime.status(name)).state).toBe('missing');
    expect(await runtime.endpoints(name, { hostPort: port, containerPort: port })).toEqual([]);
    await runtime.remove(name);
  });

  test('the task is confined: read-only root, no capabilities, no mounts but /tmp, limits, labels, its own network, this node', async () => {
    const name = `citus-test-${run}-confined`;
    const spec = testContainerSpec(name, await freePort(), labels);
    await runtime.deploy(spec);
    const node = ((await connection.docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    const service = await connection.docker.getService(name).inspect();
    const task = service.Spec.TaskTemplate;
    expect(service.Spec.Labels).toEqual(labels);
    expect(task.ContainerSpec.ReadOnly).toBe(true);
    expect(task.ContainerSpec.CapabilityDrop).toEqual(['ALL']);
    expect(task.ContainerSpec.Mounts).toEqual([expect.objectContaining({ Type: 'tmpfs', Target: '/tmp' })]);
    expect(task.Resources.Limits).toEqual(expect.objectContaining({ MemoryBytes: spec.resources.memoryBytes, NanoCPUs: spec.resources.nanoCpus }));
    expect(task.ContainerSpec.Privileges).toBeUndefined();

    expect(task.Placement?.Constraints).toEqual([`node.id==${node}`]);

    const container = await taskContainer(name);
    expect(Object.keys(container.NetworkSettings.Networks)).toEqual([DEFAULT_SWARM_APP_NETWORK]);
    expect(container.Config.Env).toEqual(expect.arrayContaining(['HOST=0.0.0.0', `PORT=${spec.hostPort}`]));
    expect(container.HostConfig.ReadonlyRootfs).toBe(true);
    expect(container.HostConfig.Privileged).toBe(false);
    expect(container.HostConfig.Binds ?? []).toEqual([]);
    expect(container.Mounts.map((m) => m.Type)).toEqual(['tmpfs']);
    expect(container.HostConfig.Memory).toBe(spec.resources.memoryBytes);
    expect(container.Config.Labels).toEqual(expect.objectContaining(labels));
    // Published in host mode on a port the engine picks, not on the routing mesh.
    expect(service.Spec.EndpointSpec?.Ports).toEqual([{ Protocol: 'tcp', TargetPort: spec.hostPort, PublishMode: 'host' }]);
  });

  test('apps are isolated: a network namespace each, no traffic between them, ports on 127.0.0.1 only', async () => {
    const [a, b] = [`citus-test-${run}-iso-a`, `citus-test-${run}-iso-b`];
    const [portA, portB] = [await freePort(), await freePort()];
    await runtime.deploy(testContainerSpec(a, portA, { ...labels, 'io.citus.workspace': 'ws-a' }));
    await runtime.deploy(testContainerSpec(b, portB, { ...labels, 'io.citus.workspace': 'ws-b' }));
    const [publishedA] = (await endpointsOf(a, portA)) as [number];
    const [publishedB] = (await endpointsOf(b, portB)) as [number];
    expect(await waitFor(() => fetchPage(publishedA), 'app A on its published port', 60_000)).toBe(TEST_PAGE);
    expect(await waitFor(() => fetchPage(publishedB), 'app B on its published port', 60_000)).toBe(TEST_PAGE);
    const [containerA, containerB] = [await taskContainer(a), await taskContainer(b)];
    // Published on the host's loopback only, where the platform's proxy is.
    expect(containerA.NetworkSettings.Ports[`${portA}/tcp`]).toEqual([{ HostIp: '127.0.0.1', HostPort: String(publishedA) }]);

    // Inside A, the app answers on its own loopback: the probe works.
    const own = await execIn(containerA.Id, ['/bin/busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${portA}/`]);
    expect([own.exitCode, own.output.includes('hello from citus-test')]).toEqual([0, true]);
    // From B, "localhost" is B's own loopback: neither A's port nor A's published port is there.
    // With the host networking Swarm tasks had before, both reached A.
    for (const port of [portA, publishedA]) {
      const across = await execIn(containerB.Id, ['/bin/busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${port}/`]);
      // Refused at once (1), not a crash of the probe itself.
      expect(across.exitCode).toBe(1);
      expect(across.exitCode).not.toBe(0);
      expect(across.output).not.toContain('hello from citus-test');
    }

    // The engine drops traffic between containers of the network and publishes on the host's
    // loopback only (not probed beyond: test traffic stays on 127.0.0.0/8).
    const network = (await connection.docker.getNetwork(DEFAULT_SWARM_APP_NETWORK).inspect()) as { Driver: string; Scope: string; ConfigFrom: { Network: string } };
    expect([network.Driver, network.Scope, network.ConfigFrom.Network]).toEqual(['bridge', 'swarm', swarmConfigName(DEFAULT_SWARM_APP_NETWORK)]);
    const config = (await connection.docker.getNetwork(swarmConfigName(DEFAULT_SWARM_APP_NETWORK)).inspect()) as { ConfigOnly: boolean; Options: Record<string, string> };
    expect(config.ConfigOnly).toBe(true);
    expect(config.Options).toEqual(expect.objectContaining({ [ICC_OPTION]: 'false', [HOST_BINDING_OPTION]: '127.0.0.1' }));
  });

  test('makes a network of another name with its config-only network, and refuses one made beforehand that would let apps reach each other', async () => {
    const fresh = `citus-test-${run}-fresh`;
    const open = `citus-test-${run}-open`;
    const networks = [fresh, swarmConfigName(fresh), open, swarmConfigName(open)];
    try {
      const made = new DockerSwarmRuntime(connection, fresh);
      const name = `citus-test-${run}-fresh-svc`;
      await made.deploy(testContainerSpec(name, await freePort(), labels));
      const config = (await connection.docker.getNetwork(swarmConfigName(fresh)).inspect()) as { ConfigOnly: boolean; Options: Record<string, string> };
      expect([config.ConfigOnly, config.Options[ICC_OPTION], config.Options[HOST_BINDING_OPTION]]).toEqual([true, 'false', '127.0.0.1']);
      expect(((await connection.docker.getNetwork(fresh).inspect()) as { ConfigFrom: { Network: string } }).ConfigFrom.Network).toBe(swarmConfigName(fresh));
      await made.remove(name);

      await connection.docker.createNetwork({ Name: swarmConfigName(open), Labels: { 'io.citus.test.run': run }, ...{ ConfigOnly: true }, Options: { [HOST_BINDING_OPTION]: '127.0.0.1' } });
      const loose = new DockerSwarmRuntime(connection, open);
      const refused = loose.deploy(testContainerSpec(`citus-test-${run}-loose`, await freePort(), labels));
      // Checked before any bridge is made from it.
      await expect(refused).rejects.toMatchObject({ code: 'failed', message: expect.stringContaining(`network ${open} lets its containers reach each other`) });
      await expect(connection.docker.getNetwork(open).inspect()).rejects.toMatchObject({ statusCode: 404 });
      await connection.docker.createNetwork({ Name: open, Driver: 'bridge', ...{ Scope: 'swarm', ConfigFrom: { Network: swarmConfigName(open) } } });
      await expect(loose.deploy(testContainerSpec(`citus-test-${run}-loose`, await freePort(), labels))).rejects.toMatchObject({
        code: 'failed',
        message: expect.stringContaining(`remove ${open} and ${swarmConfigName(open)}`),
      });
      expect(await loose.list(labels)).not.toContain(`citus-test-${run}-loose`);
    } finally {
      // The tasks' endpoints leave the network shortly after their service goes.
      for (const network of networks) {
        await waitFor(
          () => connection.docker.getNetwork(network).remove().then(() => true, (error: { statusCode?: number }) => (error.statusCode === 404 ? true : undefined)),
          `network ${network} removed`,
        );
      }
    }
  });

  test('a second deploy with the same name is a conflict', async () => {
    const name = `citus-test-${run}-twice`;
    await runtime.deploy(testContainerSpec(name, await freePort(), labels));
    await expect(runtime.deploy(testContainerSpec(name, await freePort(), labels))).rejects.toMatchObject({ code: 'conflict' });
  });

  test('scales from one replica to two, each running on a port of its own', async () => {
    const name = `citus-test-${run}-scaled`;
    const port = await freePort();
    await runtime.deploy({ ...testContainerSpec(name, port, labels), image: REPLICA_IMAGE, replicas: 1 });
    await waitFor(() => statusIs(name, { state: 'running', replicas: { desired: 1, running: 1 } }), 'one running task', 60_000);

    await runtime.scale(name, 2);
    const scaled = await waitFor(() => statusIs(name, { state: 'running', replicas: { desired: 2, running: 2 } }), 'two running tasks', 60_000);
    expect(scaled.replicas).toEqual({ desired: 2, running: 2 });
    const tasks = await connection.docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } });
    expect(tasks.map((t: { Status: { State: string } }) => t.Status.State)).toEqual(['running', 'running']);

    const ports = await endpointsOf(name, port, 2);
    const pages = await Promise.all(ports.map((published) => waitFor(() => fetchPage(published), `the replica on ${published}`)));
    expect(pages.every((page) => page.startsWith('hello from '))).toBe(true);
    expect(new Set(pages).size).toBe(2);
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
