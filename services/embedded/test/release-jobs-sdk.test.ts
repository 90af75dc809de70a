import { createHash } from 'node:crypto';
import { iotjobs, mqtt } from 'aws-iot-device-sdk-v2';
import type { CodeSigningKey, Release } from '@citus/contracts';
import { checkRelease, createConnection } from '@citus/device-agent';
import { deviceFiles } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, defaultWorkspaceId, readyArtifactRelease, type TestPlatform } from './support/test-platform.js';
import { SdkReplies } from './support/sdk-replies.js';

const QOS = mqtt.QoS.AtLeastOnce;
const FIRMWARE = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7) % 256));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface UpdateDocument {
  operation: string;
  release: Release & { url: string };
}

// Issue 6 point 3: the job document a device gets through the Jobs MQTT API (the official SDK's
// IotJobsClient) carries a download link made for that device, the hash and the signature.
describe('an update job naming a release, as a device on the AWS IoT Device SDK v2 gets it', () => {
  let platform: TestPlatform;
  let api: Api;
  let connection: mqtt.MqttClientConnection;
  let jobs: iotjobs.IotJobsClient;
  let thingName: string;
  let workspaceId: string;
  let release: Release;
  const replies = new SdkReplies();

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    workspaceId = await defaultWorkspaceId(api);
    const device = await declareAndActivate(api, 'Boiler controller');
    thingName = device.device.thingName;
    release = await readyArtifactRelease(api, '2.0.0', FIRMWARE);
    connection = createConnection(deviceFiles(device, platform), { endpoint: '127.0.0.1' });
    await connection.connect();
    jobs = new iotjobs.IotJobsClient(connection);
    await Promise.all([
      jobs.subscribeToNextJobExecutionChangedEvents({ thingName }, QOS, replies.handler('notify-next')),
      jobs.subscribeToDescribeJobExecutionAccepted({ thingName, jobId: '+' }, QOS, replies.handler('describe/accepted')),
    ]);
  });
  afterAll(async () => {
    await connection?.disconnect();
    await platform?.destroy();
  });

  it('gets a link good for it alone, downloads the signed bytes with it and checks them', async () => {
    const notified = replies.count('notify-next');
    const { sha256: hash, size, signature, releaseId, version, kind } = release;
    const document = { operation: 'update', release: { releaseId, version, kind, sha256: hash, size, signature, url: `\${citus:release-download:${releaseId}}` } };
    expect((await api.post('/api/v1/jobs', { jobId: 'ota-1', targets: [thingName], document })).status).toBe(201);

    const next = (await replies.next('notify-next', undefined, notified)) as { execution: { jobDocument: UpdateDocument } };
    const received = next.execution.jobDocument.release;
    expect(received.url).toMatch(/^\/api\/v1\/release-downloads\/[\w-]+\.[\w-]+\.[\w-]+$/);

    const download = await fetch(`${platform.baseUrl}${received.url}`);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    const key = (await api.get<CodeSigningKey>('/api/v1/code-signing-key')).body;
    expect(checkRelease({ ...received, workspaceId, sha256: received.sha256 as string, signature: received.signature as NonNullable<Release['signature']> }, key, { sha256: sha256(bytes), size: bytes.length })).toEqual({ ok: true });

    // The stored document keeps its placeholder; each delivery gets a link of its own.
    const stored = await api.get<{ document: UpdateDocument }>('/api/v1/jobs/ota-1');
    expect(stored.body.document.release.url).toBe(`\${citus:release-download:${releaseId}}`);
    const clientToken = 'describe-1';
    await jobs.publishDescribeJobExecution({ thingName, jobId: 'ota-1', clientToken }, QOS);
    const described = (await replies.next('describe/accepted', clientToken)) as { execution: { jobDocument: UpdateDocument } };
    expect(described.execution.jobDocument.release.url).toMatch(/^\/api\/v1\/release-downloads\//);
  });

  it('sends a placeholder naming a release it cannot serve as it is, for the device to fail the job with', async () => {
    const notified = replies.count('notify-next');
    // A release of no workspace: no link is made, and the job still reaches the device.
    const missing = 'rel_000000000000000000000000';
    expect((await api.post('/api/v1/jobs', { jobId: 'ota-2', targets: [thingName], document: { url: `\${citus:release-download:${missing}}` } })).status).toBe(201);
    const clientToken = 'describe-2';
    await jobs.publishDescribeJobExecution({ thingName, jobId: 'ota-2', clientToken }, QOS);
    const described = (await replies.next('describe/accepted', clientToken)) as { execution: { jobDocument: { url: string } } };
    expect(described.execution.jobDocument.url).toBe(`\${citus:release-download:${missing}}`);
    expect(replies.count('notify-next')).toBeGreaterThanOrEqual(notified);
  });
});
