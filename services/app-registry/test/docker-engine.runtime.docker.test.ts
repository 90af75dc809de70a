import { randomUUID } from 'node:crypto';
import { connectDocker } from '../src/adapters/docker/docker-connection.js';
import { deploymentNetworkName } from '../src/adapters/docker/docker-bridges.js';
import { DEFAULT_APP_NETWORK, DockerEngineRuntime } from '../src/adapters/docker/docker-engine.runtime.js';
import { APP_NETWORK_LABEL, ICC_OPTION } from '../src/adapters/docker/docker-network.js';
import { RuntimeError, type RuntimeStatus } from '../src/domain/container-runtime.port.js';
import { ensureTestImage, execIn, fetchPage, freePort, TEST_IMAGE, TEST_PAGE, testContainerSpec, testHealthCommand, waitFor } from './support/test-image.js';

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
const run = randomUUID().slice(0, 8);
const labels = { 'io.citus.test.run': run, 'io.citus.workspace': 'ws-engine' };
const connection = connectDocker(DOCKER_HOST);
const runtime = new DockerEngineRuntime(connection);

async function statusIs(name: string, state: RuntimeStatus['state']): Promise<RuntimeStatus | undefined> {
  const status = await runtime.status(name);
  return status.state === state ? status : undefined;
}

async function firstLine(lines: AsyncIterable<string>, match: (line: string) => boolean): Promise<string> {
  for await (const line of lines) if (match(line)) return line;
  throw new Error('log stream ended without the line');
}

beforeAll(() => {
  ensureTestImage(DOCKER_HOST);
});

afterAll(async () => {
  for (const name of await runtime.list({ 'io.citus.test.run': run })) await runtime.remove(name);
});

describe('DockerEngineRuntime on a real Docker engine', () => {
  test('answers availability with the engine version', async () => {
    const availability = await runtime.availability();
    expect(availability).toEqual({ available: true, engine: expect.stringMatching(/^Docker \S+ \(API \d+\.\d+\)$/) });
  });

  test('deploys the app on $PORT, reports it running, streams its logs, restarts, stops and removes it', async () => {
    const name = `citus-test-${run}-life`;
    const port = await freePort();
    await runtime.deploy(testContainerSpec(name, port, labels));

    expect(await waitFor(() => fetchPage(port), 'the app on its port')).toBe(TEST_PAGE);
    const running = await waitFor(() => statusIs(name, 'running'), 'a healthy container');
    expect(running.replicas).toEqual({ desired: 1, running: 1 });
    expect(await runtime.list(labels)).toContain(name);

    const lines: string[] = [];
    for await (const line of runtime.logs(name, { follow: false })) lines.push(line);
    expect(lines.some((line) => line.includes('url:/'))).toBe(true);

    const followed = runtime.logs(name, { follow: true, tail: 0 });
    const probe = `/probe-${randomUUID()}`;
    const seen = firstLine(followed, (line) => line.includes(`url:${probe}`));
    // Asked again until the line comes: the engine may attach the stream after the first request.
    let found: string | undefined;
    void seen.then((line) => (found = line));
    await waitFor(async () => {
      await fetch(`http://127.0.0.1:${port}${probe}`);
      return found;
    }, 'the probe request in the followed logs');
    expect(found).toContain(probe);

    // An abort ends a followed stream of a quiet app at once, instead of at its next line.
    const stopped = new AbortController();
    const quiet = runtime.logs(name, { follow: true, tail: 0, signal: stopped.signal })[Symbol.asyncIterator]();
    const ended = quiet.next();
    setTimeout(() => stopped.abort(), 200);
    // Without the abort this would wait for a line the quiet app never writes (the test would time out).
    expect(await ended).toEqual({ done: true, value: undefined });

    await runtime.restart(name);
    expect(await waitFor(() => fetchPage(port), 'the app after a restart')).toBe(TEST_PAGE);

    await runtime.stop(name);
    expect((await runtime.status(name)).state).toBe('stopped');
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    await runtime.stop(name);

    await runtime.remove(name);
    expect(await runtime.status(name)).toEqual({ state: 'missing', replicas: { desired: 0, running: 0 } });
    await runtime.remove(name);
    expect(await runtime.list(labels)).not.toContain(name);
  });

  test('the container is confined: read-only root, no privileges, no capabilities, no mounts, limits, labels', async () => {
    const name = `citus-test-${run}-confined`;
    const spec = testContainerSpec(name, await freePort(), labels);
    await runtime.deploy(spec);
    const info = await connection.docker.getContainer(name).inspect();

    expect(info.Config.Labels).toEqual(expect.objectContaining(labels));
    expect(info.Config.Env).toEqual(expect.arrayContaining(['GREETING=hello', 'HOST=0.0.0.0', `PORT=${spec.hostPort}`]));
    expect(info.Config.Env).not.toContain('PORT=1');
    const host = info.HostConfig;
    expect(host.NetworkMode).toBe(DEFAULT_APP_NETWORK);
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([DEFAULT_APP_NETWORK]);
    // Published on the host's loopback only: nothing beyond the host reaches the app.
    expect(info.NetworkSettings.Ports).toEqual({ [`${spec.hostPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(spec.hostPort) }] });
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Privileged).toBe(false);
    expect(host.Binds ?? []).toEqual([]);
    expect(info.Mounts).toEqual([]);
    expect(host.Memory).toBe(spec.resources.memoryBytes);
    expect(host.NanoCpus).toBe(spec.resources.nanoCpus);
    expect(host.PidsLimit).toBeGreaterThan(0);
    expect(host.Init).toBe(true);
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd ?? []).toEqual([]);
    expect(host.SecurityOpt).toContain('no-new-privileges:true');
    expect(host.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: expect.any(Number) });
    expect(Object.keys(host.Tmpfs ?? {})).toEqual(['/tmp']);
    expect(info.Config.Healthcheck?.Test?.[0]).toBe('CMD');
  });

  test('apps are isolated: a network namespace each, on a bridge without inter-container traffic', async () => {
    const [a, b] = [`citus-test-${run}-iso-a`, `citus-test-${run}-iso-b`];
    const [portA, portB] = [await freePort(), await freePort()];
    await runtime.deploy(testContainerSpec(a, portA, { ...labels, 'io.citus.workspace': 'ws-a' }));
    await runtime.deploy(testContainerSpec(b, portB, { ...labels, 'io.citus.workspace': 'ws-b' }));
    expect(await waitFor(() => fetchPage(portA), 'app A on its published port')).toBe(TEST_PAGE);
    expect(await waitFor(() => fetchPage(portB), 'app B on its published port')).toBe(TEST_PAGE);

    // Inside A, the app answers on its own loopback: the probe works.
    const own = await execIn(a, ['/bin/busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${portA}/`]);
    expect([own.exitCode, own.output.includes('hello from citus-test')]).toEqual([0, true]);
    // From B, A's port on "localhost" is B's own loopback, where nothing listens: with host
    // networking (as before) this reached A.
    const across = await execIn(b, ['/bin/busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${portA}/`]);
    expect(across.exitCode).not.toBe(0);
    expect(across.output).not.toContain('hello from citus-test');

    // Containers on the network cannot open connections to each other (Docker drops bridge-to-bridge
    // traffic when inter-container communication is off; not probed here: test traffic stays on 127.0.0.0/8).
    const network = (await connection.docker.getNetwork(DEFAULT_APP_NETWORK).inspect()) as {
      Driver: string;
      Internal: boolean;
      Options: Record<string, string>;
      Labels: Record<string, string>;
    };
    expect([network.Driver, network.Internal, network.Options[ICC_OPTION], network.Labels[APP_NETWORK_LABEL]]).toEqual(['bridge', false, 'false', 'apps']);
  });

  test('refuses a network that lets containers talk to each other, and makes a missing one', async () => {
    const open = `citus-test-${run}-open`;
    await connection.docker.createNetwork({ Name: open, Driver: 'bridge', Labels: { 'io.citus.test.run': run } });
    try {
      const loose = new DockerEngineRuntime(connection, open);
      const refused = loose.deploy(testContainerSpec(`citus-test-${run}-loose`, await freePort(), labels));
      await expect(refused).rejects.toMatchObject({ code: 'failed', message: expect.stringContaining(`network ${open} lets its containers reach each other`) });
      expect((await loose.status(`citus-test-${run}-loose`)).state).toBe('missing');
    } finally {
      await connection.docker.getNetwork(open).remove();
    }

    const fresh = `citus-test-${run}-fresh`;
    const made = new DockerEngineRuntime(connection, fresh);
    const name = `citus-test-${run}-fresh-app`;
    const port = await freePort();
    try {
      await made.deploy(testContainerSpec(name, port, labels));
      expect(await waitFor(() => fetchPage(port), 'the app on the network made for it')).toBe(TEST_PAGE);
      const info = (await connection.docker.getNetwork(fresh).inspect()) as { Options: Record<string, string> };
      expect(info.Options[ICC_OPTION]).toBe('false');
    } finally {
      await made.remove(name);
      await connection.docker.getNetwork(fresh).remove();
    }
  });

  test('publishes the port the app listens on (a manifest may name one) on the deployment\'s host port', async () => {
    const name = `citus-test-${run}-fixed`;
    const hostPort = await freePort();
    const spec = { ...testContainerSpec(name, hostPort, labels), containerPort: 8080 };
    spec.healthCheck = { ...spec.healthCheck!, command: testHealthCommand(8080) };
    await runtime.deploy(spec);
    expect(await waitFor(() => fetchPage(hostPort), 'the app on its host port')).toBe(TEST_PAGE);
    // Its own check, inside the container, finds it on 8080.
    await waitFor(() => statusIs(name, 'running'), 'the container healthy', 30_000);
    const info = await connection.docker.getContainer(name).inspect();
    expect(info.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] });
    expect(info.Config.Env).toContain('PORT=8080');
    expect(await runtime.endpoints(name, { hostPort, containerPort: 8080 })).toEqual([{ host: '127.0.0.1', port: hostPort }]);
    await runtime.remove(name);
  });

  test('gives an app whose manifest allows no read-only root a writable one, and no /tmp of its own', async () => {
    const name = `citus-test-${run}-writable`;
    const port = await freePort();
    await runtime.deploy({ ...testContainerSpec(name, port, labels), readOnlyRootFilesystem: false });
    expect(await waitFor(() => fetchPage(port), 'the app')).toBe(TEST_PAGE);
    const info = await connection.docker.getContainer(name).inspect();
    expect([info.HostConfig.ReadonlyRootfs, info.HostConfig.Tmpfs ?? {}, info.HostConfig.Privileged, info.HostConfig.CapDrop]).toEqual([false, {}, false, ['ALL']]);
    const written = await execIn(name, ['/bin/busybox', 'touch', '/written']);
    expect(written.exitCode).toBe(0);
    await runtime.remove(name);
  });

  test('a second deploy with the same name is a conflict', async () => {
    const name = `citus-test-${run}-twice`;
    await runtime.deploy(testContainerSpec(name, await freePort(), labels));
    const again = runtime.deploy(testContainerSpec(name, await freePort(), labels));
    await expect(again).rejects.toBeInstanceOf(RuntimeError);
    await expect(again).rejects.toMatchObject({ code: 'conflict' });
  });

  test('an image the engine does not have is not found, and nothing is left behind', async () => {
    const name = `citus-test-${run}-noimage`;
    const spec = { ...testContainerSpec(name, await freePort(), labels), image: `citus-test/absent-${run}:1` };
    await expect(runtime.deploy(spec)).rejects.toMatchObject({ code: 'not_found' });
    expect((await runtime.status(name)).state).toBe('missing');
  });

  test('scale is unsupported on a single engine; unknown names are not found', async () => {
    await expect(runtime.scale(`citus-test-${run}-any`, 2)).rejects.toMatchObject({ code: 'unsupported' });
    await expect(runtime.restart(`citus-test-${run}-absent`)).rejects.toMatchObject({ code: 'not_found' });
  });
});

// CITUS_APP_REACH=network, as in compose: the proxy runs in a container of the engine (here a
// busybox container stands in for it) and reaches each app through a bridge of that deployment's
// own. The proxy's traffic to the app stays between two containers of this engine.
describe('DockerEngineRuntime reaching apps through networks of their own', () => {
  const proxyName = `citus-test-${run}-proxy`;
  const reaching = new DockerEngineRuntime(connection, DEFAULT_APP_NETWORK, { kind: 'network', proxyContainer: proxyName });
  const networksOf = async (container: string) => Object.keys(((await connection.docker.getContainer(container).inspect()) as { NetworkSettings: { Networks: Record<string, unknown> } }).NetworkSettings.Networks).sort();

  beforeAll(async () => {
    const proxy = await connection.docker.createContainer({
      name: proxyName,
      Image: TEST_IMAGE,
      // Not labelled as an app of this run: the runtime's list must not find (and remove) it.
      Labels: { 'io.citus.test.proxy': run },
      Env: ['HOST=127.0.0.1', 'PORT=8080'],
      HostConfig: { CapDrop: ['ALL'], ReadonlyRootfs: true },
    });
    await proxy.start();
  });

  afterAll(async () => {
    try {
      for (const name of await reaching.list({ 'io.citus.test.run': run })) await reaching.remove(name);
    } finally {
      await connection.docker.getContainer(proxyName).remove({ force: true });
      // Deployment bridges carry the deployment's labels: none of this run may be left.
      for (const network of await connection.docker.listNetworks({ filters: { label: [`io.citus.test.run=${run}`] } })) {
        await connection.docker.getNetwork(network.Id).remove().catch(() => undefined);
      }
    }
  });

  test('each app gets a bridge of its own that the proxy joins; nothing is published; apps cannot reach each other; removal takes the bridge', async () => {
    expect(await reaching.availability()).toEqual({ available: true, engine: expect.stringMatching(/^Docker /) });
    const reachLabels = { ...labels, 'io.citus.workspace': 'ws-reach' };
    const [a, b] = [`citus-test-${run}-reach-a`, `citus-test-${run}-reach-b`];
    const [portA, portB] = [await freePort(), await freePort()];
    await reaching.deploy(testContainerSpec(a, portA, reachLabels));
    await reaching.deploy(testContainerSpec(b, portB, reachLabels));

    expect(await reaching.endpoints(a, { hostPort: portA, containerPort: portA })).toEqual([{ host: a, port: portA }]);
    expect(await networksOf(a)).toEqual([deploymentNetworkName(a)]);
    expect(await networksOf(proxyName)).toEqual(expect.arrayContaining([deploymentNetworkName(a), deploymentNetworkName(b)]));
    const info = await connection.docker.getContainer(a).inspect();
    expect(info.HostConfig.PortBindings).toEqual({});

    // The proxy resolves A's name on their bridge (Docker's DNS) and reaches it there; B, on a bridge
    // of its own, neither resolves nor reaches it (the engine drops traffic between bridges, so the
    // try is cut short by busybox's timeout). busybox wget cannot resolve names itself (it is
    // static), so the name is looked up with nslookup and the address fetched.
    const fetchFrom = (container: string, url: string) => execIn(container, ['/bin/busybox', 'timeout', '5', '/bin/busybox', 'wget', '-q', '-O', '-', url]);
    const addressA = ((await connection.docker.getContainer(a).inspect()) as { NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }).NetworkSettings.Networks[deploymentNetworkName(a)]?.IPAddress as string;
    expect(addressA).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect((await execIn(proxyName, ['/bin/busybox', 'nslookup', a, '127.0.0.11'])).output).toContain(addressA);
    const fromProxy = await waitFor(async () => {
      const answer = await fetchFrom(proxyName, `http://${addressA}:${portA}/`);
      return answer.exitCode === 0 ? answer : undefined;
    }, 'app A through its bridge, from the proxy');
    expect(fromProxy.output).toContain('hello from citus-test');
    expect((await execIn(b, ['/bin/busybox', 'nslookup', a, '127.0.0.11'])).output).not.toContain(addressA);
    const fromB = await fetchFrom(b, `http://${addressA}:${portA}/`);
    expect(fromB.exitCode).not.toBe(0);
    expect(fromB.output).not.toContain('hello from citus-test');

    // A proxy container made anew (here: one that left the bridge) joins again when it next asks the way.
    await connection.docker.getNetwork(deploymentNetworkName(b)).disconnect({ Container: proxyName });
    const restarted = new DockerEngineRuntime(connection, DEFAULT_APP_NETWORK, { kind: 'network', proxyContainer: proxyName });
    expect(await restarted.endpoints(b, { hostPort: portB, containerPort: portB })).toEqual([{ host: b, port: portB }]);
    expect(await networksOf(proxyName)).toContain(deploymentNetworkName(b));

    await reaching.remove(a);
    await expect(connection.docker.getNetwork(deploymentNetworkName(a)).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await networksOf(proxyName)).not.toContain(deploymentNetworkName(a));
    expect(await reaching.endpoints(a, { hostPort: portA, containerPort: portA })).toEqual([]);
  });

  test('an image the engine lacks leaves no bridge behind; a proxy container the engine does not run makes the runtime unavailable', async () => {
    const name = `citus-test-${run}-reach-noimage`;
    await expect(reaching.deploy({ ...testContainerSpec(name, await freePort(), labels), image: `citus-test/absent-${run}:1` })).rejects.toMatchObject({ code: 'not_found' });
    await expect(connection.docker.getNetwork(deploymentNetworkName(name)).inspect()).rejects.toMatchObject({ statusCode: 404 });

    const lost = new DockerEngineRuntime(connection, DEFAULT_APP_NETWORK, { kind: 'network', proxyContainer: `citus-test-${run}-nobody` });
    const availability = await lost.availability();
    expect(availability.available === false && availability.reason).toContain(`CITUS_APP_REACH=network: the proxy's container citus-test-${run}-nobody`);
    // A deploy says so too (not that the image is missing), and leaves neither container nor bridge.
    const orphan = `citus-test-${run}-reach-orphan`;
    await expect(lost.deploy(testContainerSpec(orphan, await freePort(), labels))).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('CITUS_APP_PROXY_CONTAINER') });
    expect((await lost.status(orphan)).state).toBe('missing');
    await expect(connection.docker.getNetwork(deploymentNetworkName(orphan)).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('DockerEngineRuntime without an engine', () => {
  const unreachable = new DockerEngineRuntime(connectDocker('unix:///nonexistent.sock'));

  test('availability is false and names DOCKER_HOST', async () => {
    const availability = await unreachable.availability();
    expect(availability.available).toBe(false);
    expect(availability.available === false && availability.reason).toContain('DOCKER_HOST=unix:///nonexistent.sock');
  });

  test('deploy answers unavailable, naming what is missing', async () => {
    const deploy = unreachable.deploy(testContainerSpec(`citus-test-${run}-nowhere`, 1024, labels));
    await expect(deploy).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/No Docker engine answers at DOCKER_HOST=unix:\/\/\/nonexistent\.sock \(no such socket\)/),
    });
  });
});
