import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mqtt } from 'aws-iot-device-sdk-v2';
import { releaseUpdateDocument, type DeclaredDevice, type JobExecutionList, type Release, type ShadowDocument } from '@citus/contracts';
import { activate, createConnection, loadDevice, UpdateAgent } from '@citus/device-agent';
import { ADMIN_PASSWORD, Api, bootTestPlatform, defaultWorkspaceId, readyArtifactRelease, type TestPlatform } from './support/test-platform.js';
import { eventually } from './support/eventually.js';

const FIRMWARE = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 13) % 256));

// Issue 6 point 4: citus-device's update agent, on the SDK's jobs and shadow clients, against the
// real platform: it downloads with its own link, checks the signature against the key it learnt at
// activation and the bytes against the signed hash, runs its install hook, and reports.
describe('a device taking update jobs (citus-device on the AWS IoT Device SDK v2)', () => {
  let platform: TestPlatform;
  let api: Api;
  let dir: string;
  let workspaceId: string;
  let thingName: string;
  let connection: mqtt.MqttClientConnection;
  let agent: UpdateAgent;
  let release: Release;
  let failHook = false;
  const events: string[] = [];

  const execution = async (jobId: string) => (await api.get<JobExecutionList>(`/api/v1/jobs/${jobId}/executions`)).body.items[0];
  const finished = (jobId: string) => eventually(() => execution(jobId), (found) => ['SUCCEEDED', 'FAILED', 'REJECTED'].includes(found?.status ?? ''), 15_000);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-device-updates-'));
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    workspaceId = await defaultWorkspaceId(api);
    const declared = (await api.post<DeclaredDevice>('/api/v1/devices', { name: 'Boiler controller' })).body;
    thingName = declared.thingName;
    await activate({ apiUrl: platform.baseUrl, deviceId: declared.id, activationCode: declared.activationCode, dir: join(dir, 'device') });
    const files = loadDevice(join(dir, 'device'));
    expect(files.codeSigningKey?.algorithm).toBe('Ed25519');

    release = await readyArtifactRelease(api, '4.2.0', FIRMWARE);

    // The install hook copies what it is given where the test can see it, or fails when asked to.
    const hook = join(dir, 'install.sh');
    writeFileSync(hook, `#!/bin/sh\nif [ -e "${join(dir, 'fail')}" ]; then echo "disk full" >&2; exit 3; fi\ncp "$1" "${join(dir, 'installed')}-$2.bin"\n`);
    chmodSync(hook, 0o755);
    connection = createConnection({ ...files, state: { ...files.state, mqttEndpoint: '127.0.0.1', mqttPort: platform.mqttPort } }, { endpoint: '127.0.0.1' });
    await connection.connect();
    agent = new UpdateAgent(connection, files, { workDir: join(dir, 'work'), installHook: hook, onEvent: (event) => events.push(event) });
    await agent.start();
  });
  afterAll(async () => {
    await connection?.disconnect();
    await platform?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs a signed release and reports SUCCEEDED and its new version in the shadow', async () => {
    expect((await api.post('/api/v1/jobs', { jobId: 'update-1', targets: [thingName], document: releaseUpdateDocument(workspaceId, release) })).status).toBe(201);
    const done = await finished('update-1');
    expect(done).toMatchObject({ status: 'SUCCEEDED', statusDetails: { version: '4.2.0' } });
    expect(readFileSync(join(dir, 'installed-4.2.0.bin')).equals(FIRMWARE)).toBe(true);
    // Progress went to the platform (each report acknowledged) at each quarter of the download.
    expect(events.filter((event) => event.startsWith('job update-1: downloaded'))).toEqual(['job update-1: downloaded 25%', 'job update-1: downloaded 50%', 'job update-1: downloaded 75%']);
    const shadow = await eventually(() => api.get<ShadowDocument>(`/api/v1/things/${thingName}/shadow`), (answer) => answer.status === 200, 15_000);
    expect(shadow.body.state.reported).toMatchObject({ software: { version: '4.2.0', releaseId: release.releaseId } });
  });

  it('refuses a release whose signed fields were changed, and reports FAILED with the reason', async () => {
    const document = releaseUpdateDocument(workspaceId, release);
    document.release.version = '4.2.1';
    expect((await api.post('/api/v1/jobs', { jobId: 'update-2', targets: [thingName], document })).status).toBe(201);
    expect(await finished('update-2')).toMatchObject({ status: 'FAILED', statusDetails: { reason: expect.stringMatching(/signature does not verify/) } });
    expect(() => readFileSync(join(dir, 'installed-4.2.1.bin'))).toThrow();
  });

  it('reports FAILED when the install hook fails, and REJECTED for a job that is no update', async () => {
    writeFileSync(join(dir, 'fail'), '');
    failHook = true;
    expect((await api.post('/api/v1/jobs', { jobId: 'update-3', targets: [thingName], document: releaseUpdateDocument(workspaceId, release) })).status).toBe(201);
    expect(await finished('update-3')).toMatchObject({ status: 'FAILED', statusDetails: { reason: expect.stringMatching(/install hook failed \(exit 3\): disk full/) } });
    expect((await api.post('/api/v1/jobs', { jobId: 'reboot-1', targets: [thingName], document: { operation: 'reboot' } })).status).toBe(201);
    expect(await finished('reboot-1')).toMatchObject({ status: 'REJECTED' });
    expect(failHook).toBe(true);
    expect(events.some((event) => event.includes('installed 4.2.0'))).toBe(true);
  });
});
