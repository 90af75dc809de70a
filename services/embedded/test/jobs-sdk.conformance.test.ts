import { iotjobs, mqtt } from 'aws-iot-device-sdk-v2';
import { JobsRejectedResponse } from '@citus/contracts';
import { createConnection } from '@citus/device-agent';
import { deviceFiles } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, type TestPlatform } from './support/test-platform.js';
import { SdkReplies } from './support/sdk-replies.js';

const QOS = mqtt.QoS.AtLeastOnce;
const { JobStatus } = iotjobs.model;

// Issue 3 point 7 for jobs: the official AWS IoT Device SDK v2's IotJobsClient, over an MQTT 3.1.1
// mutual-TLS connection built as firmware for AWS IoT Core builds it, drives every jobs topic of the
// hub and sees every rejection a device can cause. RequestThrottled and InternalError need an
// overloaded or failing store: the service's unit tests cover them.
describe('Jobs conformance with the AWS IoT Device SDK v2 (iotjobs)', () => {
  let platform: TestPlatform;
  let api: Api;
  let connection: mqtt.MqttClientConnection;
  let jobs: iotjobs.IotJobsClient;
  let thingName: string;
  const replies = new SdkReplies();
  let token = 0;
  const nextToken = () => `sdk-${++token}`;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const device = await declareAndActivate(api, 'SDK pump');
    thingName = device.device.thingName;
    connection = createConnection(deviceFiles(device, platform), { endpoint: '127.0.0.1' });
    await connection.connect();
    jobs = new iotjobs.IotJobsClient(connection);
    const thing = { thingName };
    const anyJob = { thingName, jobId: '+' };
    await Promise.all([
      jobs.subscribeToGetPendingJobExecutionsAccepted(thing, QOS, replies.handler('get/accepted')),
      jobs.subscribeToGetPendingJobExecutionsRejected(thing, QOS, replies.handler('get/rejected')),
      jobs.subscribeToStartNextPendingJobExecutionAccepted(thing, QOS, replies.handler('start-next/accepted')),
      jobs.subscribeToStartNextPendingJobExecutionRejected(thing, QOS, replies.handler('start-next/rejected')),
      jobs.subscribeToDescribeJobExecutionAccepted(anyJob, QOS, replies.handler('describe/accepted')),
      jobs.subscribeToDescribeJobExecutionRejected(anyJob, QOS, replies.handler('describe/rejected')),
      jobs.subscribeToUpdateJobExecutionAccepted(anyJob, QOS, replies.handler('update/accepted')),
      jobs.subscribeToUpdateJobExecutionRejected(anyJob, QOS, replies.handler('update/rejected')),
      jobs.subscribeToJobExecutionsChangedEvents(thing, QOS, replies.handler('notify')),
      jobs.subscribeToNextJobExecutionChangedEvents(thing, QOS, replies.handler('notify-next')),
      connection.subscribe(`$aws/things/${thingName}/jobs/+/rejected`, QOS, (_topic, payload) =>
        replies.handler('other/rejected')(undefined, JSON.parse(Buffer.from(payload).toString()) as object),
      ),
    ]);
  });
  afterAll(async () => {
    await connection?.disconnect();
    await platform?.destroy();
  });

  const update = async (jobId: string, request: Partial<iotjobs.model.UpdateJobExecutionRequest>) => {
    const clientToken = nextToken();
    await jobs.publishUpdateJobExecution({ thingName, jobId, clientToken, ...request }, QOS);
    return clientToken;
  };

  it('hears of a new job on notify and notify-next, and lists and describes it', async () => {
    const [notified, nextNotified] = [replies.count('notify'), replies.count('notify-next')];
    expect((await api.post('/api/v1/jobs', { jobId: 'sdk-1', targets: [thingName], document: { op: 'install', version: 7 } })).status).toBe(201);
    expect(await replies.next('notify', undefined, notified)).toMatchObject({ jobs: { QUEUED: [expect.objectContaining({ jobId: 'sdk-1', versionNumber: 1, executionNumber: 1 })] } });
    expect(await replies.next('notify-next', undefined, nextNotified)).toMatchObject({ execution: { jobId: 'sdk-1', thingName, status: JobStatus.QUEUED, jobDocument: { op: 'install', version: 7 } } });

    const listToken = nextToken();
    await jobs.publishGetPendingJobExecutions({ thingName, clientToken: listToken }, QOS);
    expect(await replies.next('get/accepted', listToken)).toMatchObject({ inProgressJobs: [], queuedJobs: [expect.objectContaining({ jobId: 'sdk-1' })], timestamp: expect.any(Number) });

    const describeToken = nextToken();
    await jobs.publishDescribeJobExecution({ thingName, jobId: '$next', clientToken: describeToken }, QOS);
    expect(await replies.next('describe/accepted', describeToken)).toMatchObject({ execution: { jobId: 'sdk-1', jobDocument: { op: 'install', version: 7 } } });
    const withoutDocument = nextToken();
    await jobs.publishDescribeJobExecution({ thingName, jobId: 'sdk-1', includeJobDocument: false, executionNumber: 1, clientToken: withoutDocument }, QOS);
    expect((await replies.next('describe/accepted', withoutDocument)).execution).not.toHaveProperty('jobDocument');
  });

  it('starts the next execution with a step timer and runs it to SUCCEEDED, with VersionMismatch on the way', async () => {
    const startToken = nextToken();
    await jobs.publishStartNextPendingJobExecution({ thingName, clientToken: startToken, stepTimeoutInMinutes: 5, statusDetails: { phase: 'download' } }, QOS);
    const started = await replies.next('start-next/accepted', startToken);
    expect(started.execution).toMatchObject({ jobId: 'sdk-1', status: JobStatus.IN_PROGRESS, versionNumber: 2, statusDetails: { phase: 'download' } });
    expect((started.execution as { approximateSecondsBeforeTimedOut: number }).approximateSecondsBeforeTimedOut).toBeGreaterThan(290);

    const stale = await update('sdk-1', { status: JobStatus.IN_PROGRESS, expectedVersion: 1 });
    expect(await replies.next('update/rejected', stale)).toMatchObject({ code: 'VersionMismatch', executionState: { status: JobStatus.IN_PROGRESS, versionNumber: 2 } });

    const nextNotified = replies.count('notify-next');
    const done = await update('sdk-1', { status: JobStatus.SUCCEEDED, expectedVersion: 2, statusDetails: { result: 'ok' }, includeJobExecutionState: true, includeJobDocument: true });
    expect(await replies.next('update/accepted', done)).toMatchObject({
      executionState: { status: JobStatus.SUCCEEDED, statusDetails: { result: 'ok' }, versionNumber: 3 },
      jobDocument: { op: 'install', version: 7 },
    });
    const none = await replies.next('notify-next', undefined, nextNotified);
    expect(none).toEqual({ timestamp: expect.any(Number) });

    const emptyToken = nextToken();
    await jobs.publishStartNextPendingJobExecution({ thingName, clientToken: emptyToken }, QOS);
    expect(await replies.next('start-next/accepted', emptyToken)).toEqual({ clientToken: emptyToken, timestamp: expect.any(Number) });
  });

  it('answers every rejection a device can cause, echoing the client token', async () => {
    const terminal = await update('sdk-1', { status: JobStatus.IN_PROGRESS });
    expect(await replies.next('update/rejected', terminal)).toMatchObject({ code: 'InvalidStateTransition', executionState: { status: JobStatus.SUCCEEDED } });

    const ended = nextToken();
    await jobs.publishDescribeJobExecution({ thingName, jobId: 'sdk-1', clientToken: ended }, QOS);
    expect(await replies.next('describe/rejected', ended)).toMatchObject({ code: 'TerminalStateReached' });

    const unknown = nextToken();
    await jobs.publishDescribeJobExecution({ thingName, jobId: 'no-such-job', clientToken: unknown }, QOS);
    expect(await replies.next('describe/rejected', unknown)).toMatchObject({ code: 'ResourceNotFound' });

    const badDetails = await update('sdk-1', { status: JobStatus.IN_PROGRESS, statusDetails: { progress: 50 as unknown as string } });
    expect(await replies.next('update/rejected', badDetails)).toMatchObject({ code: 'InvalidRequest' });
    const badTimer = nextToken();
    await jobs.publishStartNextPendingJobExecution({ thingName, clientToken: badTimer, stepTimeoutInMinutes: 20_000 }, QOS);
    expect(await replies.next('start-next/rejected', badTimer)).toMatchObject({ code: 'InvalidRequest' });

    // The SDK always sends JSON and only to known topics: a raw publish on its connection does the rest.
    const rejectedBefore = replies.count('get/rejected');
    await connection.publish(`$aws/things/${thingName}/jobs/get`, '{"clientToken": ', QOS);
    expect(await replies.next('get/rejected', undefined, rejectedBefore)).toMatchObject({ code: 'InvalidJson' });
    await connection.publish(`$aws/things/${thingName}/jobs/bogus`, JSON.stringify({ clientToken: 'raw-1' }), QOS);
    expect(await replies.next('other/rejected', 'raw-1')).toMatchObject({ code: 'InvalidTopic' });

    for (const name of ['update/rejected', 'describe/rejected', 'start-next/rejected', 'get/rejected', 'other/rejected']) {
      JobsRejectedResponse.parse(await replies.next(name));
    }
  });
});
