import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import type { mqtt } from 'aws-iot-device-sdk-v2';
import { releaseUpdateDocument, type JobExecutionList, type Release, type ShadowDocument } from '@citus/contracts';
import { ContainerSwap, createConnection, UpdateAgent } from '@citus/device-agent';
import { ensureTestImage, ensureUnhealthyTestImage } from '../../app-registry/test/support/test-image.js';
import { deviceFiles } from './support/devices.js';
import { eventually } from './support/eventually.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, defaultWorkspaceId, type TestPlatform } from './support/test-platform.js';

const REGISTRY_BINARY = '/usr/bin/docker-registry';

function docker(...args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A Docker registry on 127.0.0.1 (Debian's docker-registry, the CNCF distribution registry): no
 * public registry is reachable here, and a release names its image by the registry's manifest
 * digest, which only a registry gives. The engine trusts 127.0.0.0/8 registries over plain HTTP.
 */
async function startRegistry(dir: string): Promise<{ address: string; process: ChildProcess }> {
  if (!existsSync(REGISTRY_BINARY)) throw new Error(`${REGISTRY_BINARY} not found: apt-get install docker-registry`);
  const port = await freePort();
  const config = join(dir, 'registry.yml');
  writeFileSync(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: 'ignore' });
  const address = `127.0.0.1:${port}`;
  await eventually(() => fetch(`http://${address}/v2/`).then((answer) => answer.status).catch(() => 0), (status) => status === 200, 15_000, 200);
  return { address, process: child };
}

/** Pushes `source` as `repository:tag` and answers its by-digest reference, as a release names it. */
function pushed(source: string, repository: string, tag: string): string {
  docker('tag', source, `${repository}:${tag}`);
  docker('push', `${repository}:${tag}`);
  const digests = JSON.parse(docker('image', 'inspect', '--format', '{{json .RepoDigests}}', `${repository}:${tag}`)) as string[];
  const digest = digests.find((reference) => reference.startsWith(`${repository}@sha256:`));
  if (!digest) throw new Error(`no digest of ${repository}:${tag} after the push`);
  return digest;
}

/** A healthy app image that differs from `base`: a label and an environment default of its own. */
function variant(base: string, tag: string, version: string): string {
  const container = docker('create', base);
  try {
    docker('commit', '--change', `LABEL citus.test.variant=${tag}`, '--change', `ENV APP_VERSION=${version}`, container, tag);
  } finally {
    docker('rm', container);
  }
  return tag;
}

// Issue 6 point 4, gateways: a container release replaces only the named container, and a new
// container that fails its health check is rolled back to the previous image. The gateway agent
// (citus-device's UpdateAgent on the SDK's jobs client) against the whole platform and a real engine.
describe('a gateway taking container releases (Docker engine, local registry)', () => {
  let platform: TestPlatform;
  let api: Api;
  let workspaceId: string;
  let thingName: string;
  let connection: mqtt.MqttClientConnection;
  let dir: string;
  let registry: { address: string; process: ChildProcess };
  let images: { v1: string; v2: string; broken: string };
  let agent: UpdateAgent;
  const engine = new Dockerode();
  const id = randomUUID().slice(0, 8);
  const app = `citus-gw-app-${id}`;
  const bystander = `citus-gw-other-${id}`;
  const throwaway = `citus-gw-rm-${id}`;
  const networked = `citus-gw-net-${id}`;
  const network = `citus-gw-net-${id}`;
  const netPort = String(20_000 + Math.floor(Math.random() * 20_000));
  // A private subnet for the user network; no traffic is sent to it (checks run on each container's own loopback).
  const subnet = `172.31.${Math.floor(Math.random() * 200) + 20}`;
  const appPort = String(20_000 + Math.floor(Math.random() * 20_000));

  const execution = async (jobId: string) => (await api.get<JobExecutionList>(`/api/v1/jobs/${jobId}/executions`)).body.items[0];
  const finished = (jobId: string) => eventually(() => execution(jobId), (found) => ['SUCCEEDED', 'FAILED', 'REJECTED'].includes(found?.status ?? ''), 60_000, 200);
  const containerRelease = async (version: string, image: string) => {
    const created = await api.post<Release>('/api/v1/releases', { kind: 'container', version, image });
    expect(created.status).toBe(201);
    return created.body;
  };
  const update = async (jobId: string, release: Release, containerName = app) => {
    expect((await api.post('/api/v1/jobs', { jobId, targets: [thingName], document: releaseUpdateDocument(workspaceId, release, { containerName }) })).status).toBe(201);
    return finished(jobId);
  };
  const running = async (name: string) => {
    const info = await engine.getContainer(name).inspect();
    return { id: info.Id, image: info.Image, running: info.State.Running };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-gateway-'));
    registry = await startRegistry(dir);
    const repository = `${registry.address}/citus-test/gateway-app`;
    const healthy = ensureTestImage();
    images = {
      v1: pushed(variant(healthy, `citus-test/gateway-app-v1:${id}`, '1'), repository, 'v1'),
      v2: pushed(variant(healthy, `citus-test/gateway-app-v2:${id}`, '2'), repository, 'v2'),
      broken: pushed(ensureUnhealthyTestImage(), repository, 'broken'),
    };
    // The gateway has only what it runs: v2 and the broken image are pulled by digest when asked for.
    for (const tag of [`${repository}:v2`, `citus-test/gateway-app-v2:${id}`]) docker('rmi', tag);

    // The app the gateway runs, with its health check; and another container, which no update may touch.
    // The image has no shell, so the check is in exec form (the CLI's --health-cmd needs /bin/sh).
    const SECOND_NS = 1_000_000_000;
    const healthcheck = { Test: ['CMD', '/bin/busybox', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${appPort}/healthz`], Interval: SECOND_NS, Timeout: 2 * SECOND_NS, Retries: 2 };
    // Its data sits in a volume the engine made for it (an anonymous one, as `-v /data` makes).
    const started = await engine.createContainer({ name: app, Image: images.v1, Env: ['HOST=127.0.0.1', `PORT=${appPort}`], Volumes: { '/data': {} }, Healthcheck: healthcheck, HostConfig: { NetworkMode: 'host' } });
    await started.start();
    docker('exec', app, '/bin/busybox', 'sh', '-c', 'echo kept > /data/state');
    await (await engine.createContainer({ name: bystander, Image: healthy, Env: ['HOST=127.0.0.1', 'PORT=8080'], HostConfig: { NetworkMode: 'none' } })).start();
    await (await engine.createContainer({ name: throwaway, Image: healthy, Env: ['HOST=127.0.0.1', 'PORT=8081'], HostConfig: { NetworkMode: 'none', AutoRemove: true } })).start();
    // One on a network of its own with a fixed address and an alias, its port published on loopback.
    await engine.createNetwork({ Name: network, Driver: 'bridge', IPAM: { Config: [{ Subnet: `${subnet}.0/24` }] } });
    const netCheck = { ...healthcheck, Test: ['CMD', '/bin/busybox', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/healthz'] };
    await (
      await engine.createContainer({
        name: networked,
        Image: images.v1,
        Env: ['HOST=0.0.0.0', 'PORT=8080'],
        ExposedPorts: { '8080/tcp': {} },
        Healthcheck: netCheck,
        HostConfig: { NetworkMode: network, PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: netPort }] } },
        NetworkingConfig: { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: `${subnet}.50` }, Aliases: ['meter-app'] } } },
      })
    ).start();

    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    workspaceId = await defaultWorkspaceId(api);
    const gateway = await declareAndActivate(api, 'Site gateway');
    thingName = gateway.device.thingName;
    const files = { ...deviceFiles(gateway, platform), ...(gateway.activation.codeSigningKey ? { codeSigningKey: gateway.activation.codeSigningKey } : {}) };
    connection = createConnection(files, { endpoint: '127.0.0.1' });
    await connection.connect();
    const swap = new ContainerSwap(engine, { healthTimeoutMs: 30_000 });
    agent = new UpdateAgent(connection, files, { workDir: join(dir, 'work'), containers: { swap, allowed: [app, throwaway, networked] } });
    await agent.start();
  }, 300_000);
  afterAll(async () => {
    await connection?.disconnect().catch(() => undefined);
    await platform?.destroy();
    for (const name of [app, `${app}-citus-previous`, bystander, throwaway, networked, `${networked}-citus-previous`]) spawnSync('docker', ['rm', '-f', '-v', name]);
    spawnSync('docker', ['network', 'rm', network]);
    registry?.process.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replaces only the named container with the signed image, pulled by digest, and reports it', async () => {
    const before = { app: await running(app), bystander: await running(bystander) };
    const v1ImageId = before.app.image;
    // The engine has not got the new image: the agent pulls it by digest from the registry.
    await expect(engine.getImage(images.v2).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const release = await containerRelease('2.0.0', images.v2);
    expect(await update('gw-1', release)).toMatchObject({ status: 'SUCCEEDED', statusDetails: { version: '2.0.0' } });

    const after = await running(app);
    expect(after.running).toBe(true);
    expect(after.id).not.toBe(before.app.id);
    expect((await engine.getImage(images.v2).inspect()).Id).toBe(after.image);
    // The new container is made as the old one was: same network, its own environment and health
    // check, its data volume; what it only had from its old image (APP_VERSION) comes from the new one.
    const made = await engine.getContainer(app).inspect();
    expect(made.HostConfig.NetworkMode).toBe('host');
    expect(made.Config.Env).toEqual(expect.arrayContaining([`PORT=${appPort}`, 'HOST=127.0.0.1', 'APP_VERSION=2']));
    expect(made.Config.Env).not.toContain('APP_VERSION=1');
    expect(docker('exec', app, '/bin/busybox', 'cat', '/data/state')).toBe('kept');
    expect(await eventually(async () => (await engine.getContainer(app).inspect()).State.Health?.Status, (status) => status === 'healthy', 15_000)).toBe('healthy');
    expect(await fetch(`http://127.0.0.1:${appPort}/`).then((answer) => answer.status)).toBe(200);
    // Nothing else changed: the other container runs on, the old image stays, no stopped copy is left.
    expect(await running(bystander)).toEqual(before.bystander);
    expect((await engine.getImage(v1ImageId).inspect()).Id).toBe(v1ImageId);
    expect((await engine.listContainers({ all: true, filters: { name: [`${app}-citus-previous`] } })).length).toBe(0);

    const shadow = await eventually(() => api.get<ShadowDocument>(`/api/v1/things/${thingName}/shadow`), (answer) => answer.status === 200, 15_000);
    expect(shadow.body.state.reported).toMatchObject({ containers: { [app]: { version: '2.0.0', releaseId: release.releaseId, image: images.v2 } } });
  });

  it('rolls back to the previous image when the new container fails its health check', async () => {
    const before = await running(app);
    const release = await containerRelease('3.0.0', images.broken);
    const failed = await update('gw-2', release);
    expect(failed).toMatchObject({ status: 'FAILED', statusDetails: { reason: expect.stringMatching(/^the new container failed its health check.*; rolled back to /) } });
    // The very container that ran before runs again under its name, on its image, healthy.
    const after = await running(app);
    expect(after).toEqual({ ...before, running: true });
    expect(await eventually(async () => (await engine.getContainer(app).inspect()).State.Health?.Status, (status) => status === 'healthy', 15_000)).toBe('healthy');
    expect((await engine.listContainers({ all: true, filters: { name: [`${app}-citus-previous`] } })).length).toBe(0);
    expect(await fetch(`http://127.0.0.1:${appPort}/`).then((answer) => answer.status)).toBe(200);
  });

  it('takes a job delivered again after it was done as done, and brings back a container an interrupted update set aside', async () => {
    const release = (await api.get<{ items: Release[] }>('/api/v1/releases')).body.items.find((found) => found.version === '2.0.0') as Release;
    const before = await running(app);
    expect(await update('gw-again', release)).toMatchObject({ status: 'SUCCEEDED', statusDetails: { version: '2.0.0' } });
    expect(await running(app)).toEqual(before);

    // As a crash between setting the old container aside and starting the new one would leave it.
    docker('rename', app, `${app}-citus-previous`);
    docker('stop', '--time', '1', `${app}-citus-previous`);
    expect(await update('gw-recover', release)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await running(app)).toEqual(before);
    expect((await engine.listContainers({ all: true, filters: { name: [`${app}-citus-previous`] } })).length).toBe(0);
  });

  it('keeps a container on a network of its own where it was: its address, alias and published port', async () => {
    const release = (await api.get<{ items: Release[] }>('/api/v1/releases')).body.items.find((found) => found.version === '2.0.0') as Release;
    const before = await engine.getContainer(networked).inspect();
    expect(await update('gw-net', release, networked)).toMatchObject({ status: 'SUCCEEDED' });
    const after = await engine.getContainer(networked).inspect();
    expect(after.Id).not.toBe(before.Id);
    expect((await engine.getImage(images.v2).inspect()).Id).toBe(after.Image);
    expect(after.NetworkSettings.Networks[network]).toMatchObject({ IPAddress: `${subnet}.50`, IPAMConfig: { IPv4Address: `${subnet}.50` } });
    expect(after.NetworkSettings.Networks[network]?.Aliases).toEqual(expect.arrayContaining(['meter-app']));
    expect(after.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: netPort }] });
    expect(await fetch(`http://127.0.0.1:${netPort}/`).then((answer) => answer.status)).toBe(200);
  });

  it('refuses a container removed when it stops (nothing to roll back to)', async () => {
    const release = await containerRelease('2.1.0', images.v2);
    const refused = await update('gw-rm', release, throwaway);
    expect(refused).toMatchObject({ status: 'FAILED', statusDetails: { reason: expect.stringContaining('removed when it stops') } });
    expect((await running(throwaway)).running).toBe(true);
  });

  it('refuses a container it was not allowed to replace, and a release whose signed image was changed', async () => {
    const before = { app: await running(app), bystander: await running(bystander) };
    const release = await containerRelease('4.0.0', images.v1);
    expect(await update('gw-3', release, bystander)).toMatchObject({ status: 'FAILED', statusDetails: { reason: expect.stringContaining(`may not replace ${bystander}`) } });

    const document = releaseUpdateDocument(workspaceId, release, { containerName: app });
    document.release.image = images.broken;
    expect((await api.post('/api/v1/jobs', { jobId: 'gw-4', targets: [thingName], document })).status).toBe(201);
    expect(await finished('gw-4')).toMatchObject({ status: 'FAILED', statusDetails: { reason: expect.stringMatching(/signature does not verify/) } });
    expect(await running(app)).toEqual(before.app);
    expect(await running(bystander)).toEqual(before.bystander);
  });
});
