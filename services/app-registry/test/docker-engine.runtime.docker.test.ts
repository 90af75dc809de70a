import { randomUUID } from 'node:crypto';
import { connectDocker } from '../src/adapters/docker/docker-connection.js';
import { DockerEngineRuntime } from '../src/adapters/docker/docker-engine.runtime.js';
import { RuntimeError, type RuntimeStatus } from '../src/domain/container-runtime.port.js';
import { ensureTestImage, fetchPage, freePort, TEST_PAGE, testContainerSpec, waitFor } from './support/test-image.js';

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
    await fetch(`http://127.0.0.1:${port}${probe}`);
    expect(await seen).toContain(probe);

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
    expect(info.Config.Env).toEqual(expect.arrayContaining(['GREETING=hello', `PORT=${spec.hostPort}`]));
    expect(info.Config.Env).not.toContain('PORT=1');
    const host = info.HostConfig;
    expect(host.NetworkMode).toBe('host');
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
