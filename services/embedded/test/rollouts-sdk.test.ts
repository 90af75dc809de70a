import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { iotjobs, mqtt } from 'aws-iot-device-sdk-v2';
import { releaseUpdateDocument, type CodeSigningKey, type Job, type JobEventPage, type JobExecutionList, type Release, type ReleaseUpdateDocument } from '@citus/contracts';
import { checkRelease, createConnection } from '@citus/device-agent';
import { deviceFiles } from './support/devices.js';
import { eventually } from './support/eventually.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, defaultWorkspaceId, readyArtifactRelease, type TestPlatform } from './support/test-platform.js';

const QOS = mqtt.QoS.AtLeastOnce;
const FLEET = 50;
/** Devices of the timeout job only: they hold its execution IN_PROGRESS, which would block later jobs. */
const HOLDERS = 4;
const FIRMWARE = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 11) % 256));
const SECOND = 1000;

/** What a simulated device does with a job it is told of. */
type Behaviour = (device: SimulatedDevice, jobId: string, document: unknown) => Promise<{ status: iotjobs.model.JobStatus; details: Record<string, string> } | 'hold' | 'ignore'>;

/**
 * A device's firmware reduced to its jobs loop, on the official SDK's IotJobsClient: it hears of
 * its next job on `notify-next`, notes when, and answers with UpdateJobExecution as told.
 */
class SimulatedDevice {
  readonly told = new Map<string, number>();
  private readonly jobs: iotjobs.IotJobsClient;
  behaviour: Behaviour = async () => ({ status: iotjobs.model.JobStatus.SUCCEEDED, details: {} });

  constructor(
    readonly thingName: string,
    readonly connection: mqtt.MqttClientConnection,
  ) {
    this.jobs = new iotjobs.IotJobsClient(connection);
  }

  async start(): Promise<void> {
    await this.connection.connect();
    await this.jobs.subscribeToNextJobExecutionChangedEvents({ thingName: this.thingName }, QOS, (error, event) => {
      const execution = event?.execution;
      if (error || !execution?.jobId || this.told.has(execution.jobId)) return;
      this.told.set(execution.jobId, Date.now());
      void this.run(execution.jobId, execution.jobDocument);
    });
  }

  private async run(jobId: string, document: unknown): Promise<void> {
    const outcome = await this.behaviour(this, jobId, document);
    if (outcome === 'ignore') return;
    const { status, details } = outcome === 'hold' ? { status: iotjobs.model.JobStatus.IN_PROGRESS, details: { step: 'installing' } } : outcome;
    await this.jobs.publishUpdateJobExecution({ thingName: this.thingName, jobId, status, statusDetails: details }, QOS);
  }

  publishTelemetry(payload: Record<string, unknown>): Promise<unknown> {
    return this.connection.publish(`telemetry/${this.thingName}`, JSON.stringify(payload), QOS);
  }
}

const succeed: Behaviour = async () => ({ status: iotjobs.model.JobStatus.SUCCEEDED, details: {} });

/** The times devices were told of a job, first to last. */
const toldTimes = (devices: readonly SimulatedDevice[], jobId: string): number[] =>
  devices.flatMap((device) => device.told.get(jobId) ?? []).sort((a, b) => a - b);

/** The most notifications that fell in any window of `ms`. */
function busiestWindow(times: readonly number[], ms: number): number {
  let most = 0;
  for (let start = 0, end = 0; end < times.length; end++) {
    while ((times[end] as number) - (times[start] as number) >= ms) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

// Issue 6 points 2, 4, 5 and 7: rollouts as AWS IoT Jobs defines them, to more than 50 devices on
// the AWS IoT Device SDK v2's jobs client over mutual TLS, against the whole embedded platform.
describe(`rollouts to ${FLEET} devices on the AWS IoT Device SDK v2's jobs client`, () => {
  let platform: TestPlatform;
  let api: Api;
  let workspaceId: string;
  let fleet: SimulatedDevice[];
  let holders: SimulatedDevice[];
  let timeoutJobCreatedAt: number;

  const job = async (jobId: string) => (await api.get<Job>(`/api/v1/jobs/${jobId}`)).body;
  const createJob = async (body: Record<string, unknown>) => {
    const created = await api.post('/api/v1/jobs', body);
    expect(created.status).toBe(201);
  };

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    workspaceId = await defaultWorkspaceId(api);
    const devices: SimulatedDevice[] = [];
    for (let i = 0; i < FLEET + HOLDERS; i++) {
      const activated = await declareAndActivate(api, `Meter ${i}`);
      devices.push(new SimulatedDevice(activated.device.thingName, createConnection(deviceFiles(activated, platform), { endpoint: '127.0.0.1' })));
    }
    await Promise.all(devices.map((device) => device.start()));
    fleet = devices.slice(0, FLEET);
    holders = devices.slice(FLEET);
    // The timeout job starts first: its in-progress timer is a minute, the smallest AWS allows,
    // and the other tests run meanwhile.
    for (const holder of holders) holder.behaviour = async () => 'hold';
    await createJob({ jobId: 'stuck', targets: holders.map((device) => device.thingName), document: { operation: 'noop' }, timeoutConfig: { inProgressTimeoutInMinutes: 1 } });
    timeoutJobCreatedAt = Date.now();
  }, 180_000);
  afterAll(async () => {
    await Promise.all([...(fleet ?? []), ...(holders ?? [])].map((device) => device.connection.disconnect().catch(() => undefined)));
    await platform?.destroy();
  });

  it('tells the targets no faster than maximumPerMinute (measured at the hub and at the devices)', async () => {
    for (const device of fleet) device.behaviour = succeed;
    await createJob({ jobId: 'rate', targets: fleet.map((device) => device.thingName), document: { operation: 'noop' }, jobExecutionsRolloutConfig: { maximumPerMinute: 300 } });
    const done = await eventually(() => job('rate'), (found) => found.status === 'COMPLETED', 30_000, 200);
    expect(done.rollout).toMatchObject({ state: 'DONE', numberOfSucceededThings: FLEET, numberOfWaitingThings: 0 });
    const times = toldTimes(fleet, 'rate');
    expect(times).toHaveLength(FLEET);
    // The rate as the hub kept it (each target's QUEUED in the job's history, at the commit that told it)...
    const history = (await api.get<JobEventPage>('/api/v1/jobs/rate/events?limit=1000')).body.items;
    const queued = history.filter((event) => event.status === 'QUEUED').map((event) => Date.parse(event.at));
    expect(queued).toHaveLength(FLEET);
    const perMinute = (at: readonly number[]) => ((at.length - 1) / (((at.at(-1) as number) - (at[0] as number)) / 1000)) * 60;
    // ...and as the devices saw it, which a delivery delay can move a little either way.
    const spanSeconds = ((times.at(-1) as number) - (times[0] as number)) / SECOND;
    process.stdout.write(
      `rollout rate: ${FLEET} devices told over ${spanSeconds.toFixed(2)} s = ${perMinute(times).toFixed(0)}/min at the devices, ` +
        `${perMinute(queued).toFixed(0)}/min at the hub (maximumPerMinute 300); busiest 2 s at the devices: ${busiestWindow(times, 2 * SECOND)}\n`,
    );
    // 49 intervals at 5 a second take 9.8 s: the hub never tells faster than the rate allows.
    expect(perMinute(queued)).toBeLessThanOrEqual(300 * 1.02);
    expect(perMinute(queued)).toBeGreaterThan(300 * 0.7);
    expect(perMinute(times)).toBeLessThanOrEqual(300 * 1.15);
    // In any 2 s: the credit left over (under one target), 10 earned, and a tick's lag (250 ms, 1-2 more).
    expect(busiestWindow(queued, 2 * SECOND)).toBeLessThanOrEqual(13);
  }, 60_000);

  it('aborts the job when the failure threshold is met: the rest are canceled and never told', async () => {
    for (const device of fleet) device.behaviour = async () => ({ status: iotjobs.model.JobStatus.FAILED, details: { reason: 'flash write error' } });
    await createJob({
      jobId: 'abort',
      targets: fleet.map((device) => device.thingName),
      document: { operation: 'noop' },
      jobExecutionsRolloutConfig: { maximumPerMinute: 600 },
      abortConfig: { criteriaList: [{ failureType: 'FAILED', action: 'CANCEL', thresholdPercentage: 50, minNumberOfExecutedThings: 5 }] },
    });
    const aborted = await eventually(() => job('abort'), (found) => found.status === 'CANCELED', 20_000, 100);
    expect(aborted).toMatchObject({ reasonCode: 'ABORT_CRITERIA', comment: expect.stringMatching(/executed things ended FAILED/) });
    const settled = await eventually(() => job('abort'), (found) => found.rollout.numberOfQueuedThings + found.rollout.numberOfInProgressThings === 0, 10_000, 100);
    const { rollout } = settled;
    expect(rollout.numberOfFailedThings).toBeGreaterThanOrEqual(5);
    expect(rollout.numberOfWaitingThings).toBe(0);
    expect(rollout.numberOfFailedThings + rollout.numberOfCanceledThings).toBe(FLEET);
    expect(rollout.numberOfCanceledThings).toBeGreaterThanOrEqual(FLEET - 15);
    await new Promise((resolve) => setTimeout(resolve, SECOND));
    // Exactly the targets told before the abort have executions; those canceled while waiting never heard of the job.
    const executions = (await api.get<JobExecutionList>('/api/v1/jobs/abort/executions')).body.items;
    expect(toldTimes(fleet, 'abort').length).toBe(executions.length);
    expect(executions.length).toBe(FLEET - rollout.numberOfCanceledThings + executions.filter((execution) => execution.status === 'CANCELED').length);
  }, 60_000);

  it('cancel stops a rollout: queued executions are canceled and waiting targets are never told', async () => {
    // These devices leave the job queued, as an offline device would.
    for (const device of fleet) device.behaviour = async () => 'ignore';
    await createJob({ jobId: 'halt', targets: fleet.map((device) => device.thingName), document: { operation: 'noop' }, jobExecutionsRolloutConfig: { maximumPerMinute: 120 } });
    await eventually(() => toldTimes(fleet, 'halt').length, (count) => count >= 3, 10_000);
    const canceled = (await api.post<Job>('/api/v1/jobs/halt/cancel', {})).body;
    expect(canceled.status).toBe('CANCELED');
    expect(canceled.rollout.numberOfQueuedThings).toBe(0);
    expect(canceled.rollout.numberOfCanceledThings).toBe(FLEET);
    const toldBeforeCancel = canceled.executionCounts.CANCELED;
    await new Promise((resolve) => setTimeout(resolve, 2 * SECOND));
    expect(toldTimes(fleet, 'halt').length).toBeLessThanOrEqual(toldBeforeCancel);
    const executions = (await api.get<JobExecutionList>('/api/v1/jobs/halt/executions')).body.items;
    expect(executions.every((execution) => execution.status === 'CANCELED')).toBe(true);
    expect(executions.length).toBeLessThan(FLEET / 2);
  }, 60_000);

  it('a tampered artifact fails on every device: each reports FAILED with the hash mismatch', async () => {
    const release: Release = await readyArtifactRelease(api, '7.0.0', FIRMWARE);
    const key = (await api.get<CodeSigningKey>('/api/v1/code-signing-key')).body;
    // Someone with access to the artifact store changes the bytes after they were signed.
    const blob = findFile(join(platform.dataDir, 'blobs'), release.releaseId);
    const tampered = Buffer.from(FIRMWARE);
    tampered[100] = (tampered[100] as number) ^ 0xff;
    writeFileSync(blob, tampered);
    for (const device of fleet) {
      device.behaviour = async (_device, _jobId, document): ReturnType<Behaviour> => {
        const { release: sent } = document as ReleaseUpdateDocument;
        const download = await fetch(`${platform.baseUrl}${sent.url}`);
        const bytes = Buffer.from(await download.arrayBuffer());
        const check = checkRelease(sent, key, { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
        return check.ok
          ? { status: iotjobs.model.JobStatus.SUCCEEDED, details: { version: sent.version } }
          : { status: iotjobs.model.JobStatus.FAILED, details: { reason: check.reason.slice(0, 1000) } };
      };
    }
    await createJob({ jobId: 'tampered', targets: fleet.map((device) => device.thingName), document: releaseUpdateDocument(workspaceId, release) });
    const done = await eventually(() => job('tampered'), (found) => found.status === 'COMPLETED', 30_000, 200);
    expect(done.rollout.numberOfFailedThings).toBe(FLEET);
    const executions = (await api.get<JobExecutionList>('/api/v1/jobs/tampered/executions')).body.items;
    expect(executions.every((execution) => /SHA-256 .* is not the signed/.test(execution.statusDetails.reason ?? ''))).toBe(true);
  }, 60_000);

  it('the health gate pauses the rollout when updated devices report a worse metric than the rest', async () => {
    const updated = new Set<string>();
    for (const device of fleet) {
      device.behaviour = async (self) => {
        updated.add(self.thingName);
        return { status: iotjobs.model.JobStatus.SUCCEEDED, details: { version: '2' } };
      };
    }
    // Every device reports its load twice a second: 20 before the update, 80 after it.
    let publishing = true;
    const publishers = fleet.map(async (device) => {
      while (publishing) {
        await device.publishTelemetry({ cpu: updated.has(device.thingName) ? 80 : 20 });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 2 * SECOND));
      await createJob({
        jobId: 'gated',
        targets: fleet.map((device) => device.thingName),
        document: { operation: 'noop' },
        jobExecutionsRolloutConfig: { maximumPerMinute: 120 },
        healthGate: { field: 'cpu', windowSeconds: 60, minSamples: 6, maxIncreasePercent: 50, checkIntervalSeconds: 1, action: 'PAUSE' },
      });
      const paused = await eventually(() => job('gated'), (found) => found.rollout.state === 'PAUSED', 30_000, 200);
      expect(paused.rollout.pausedReason).toMatch(/^health gate: mean cpu of updated things is 80, 300 % above the 20 of things not yet updated/);
      expect(paused.rollout.lastHealthCheck).toMatchObject({ healthy: false, updatedMean: 80, baselineMean: 20 });
      expect(paused.rollout.numberOfWaitingThings).toBeGreaterThan(FLEET / 2);
      const toldWhenPaused = toldTimes(fleet, 'gated').length;
      await new Promise((resolve) => setTimeout(resolve, 2 * SECOND));
      expect(toldTimes(fleet, 'gated').length).toBe(toldWhenPaused);
      expect((await job('gated')).rollout.state).toBe('PAUSED');
      const history = (await api.get<JobEventPage>('/api/v1/jobs/gated/events?limit=1000')).body.items;
      expect(history.filter((event) => event.type === 'rollout.paused')).toEqual([expect.objectContaining({ reasonCode: 'HEALTH_GATE', detail: paused.rollout.pausedReason })]);
    } finally {
      publishing = false;
      await Promise.all(publishers);
    }
    expect((await api.post<Job>('/api/v1/jobs/gated/cancel', {})).body.rollout.numberOfWaitingThings).toBe(0);
    // The analytics service runs beside the hub here, so a gate on its anomalies is taken too.
    await createJob({
      jobId: 'anomaly-gated',
      targets: fleet.map((device) => device.thingName),
      document: { operation: 'noop' },
      jobExecutionsRolloutConfig: { maximumPerMinute: 1 },
      healthGate: { signal: 'anomalyRate', field: 'cpu', maxIncreasePercent: 100 },
    });
    expect((await api.post<Job>('/api/v1/jobs/anomaly-gated/cancel', {})).body.healthGate).toMatchObject({ signal: 'anomalyRate', windowSeconds: 300 });
  }, 60_000);

  it('marks executions TIMED_OUT when their in-progress timer runs out', async () => {
    // Each holder started it (the earlier tests may have taken long enough for some to time out already).
    const started = await eventually(() => job('stuck'), (found) => found.rollout.numberOfInProgressThings + found.rollout.numberOfTimedOutThings === HOLDERS, 10_000);
    expect(started.rollout.numberOfQueuedThings).toBe(0);
    const remaining = timeoutJobCreatedAt + 60 * SECOND - Date.now();
    const timedOut = await eventually(() => job('stuck'), (found) => found.status === 'COMPLETED', Math.max(remaining, 0) + 15 * SECOND, 500);
    expect(timedOut.rollout).toMatchObject({ numberOfTimedOutThings: HOLDERS, numberOfInProgressThings: 0 });
    // The timer runs from IN_PROGRESS, which came after the job was created.
    const history = (await api.get<JobEventPage>('/api/v1/jobs/stuck/events?limit=1000')).body.items;
    const startedAt = Math.min(...history.filter((event) => event.status === 'IN_PROGRESS').map((event) => Date.parse(event.at)));
    const firstTimeout = Math.min(...history.filter((event) => event.status === 'TIMED_OUT').map((event) => Date.parse(event.at)));
    expect(firstTimeout - startedAt).toBeGreaterThanOrEqual(60 * SECOND);
  }, 120_000);
});

/** The one file under `dir` whose path names `part`. */
function findFile(dir: string, part: string): string {
  const found = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => path.includes(part));
  if (found.length !== 1) throw new Error(`expected one file naming ${part} under ${dir}, found ${found.length}`);
  return found[0] as string;
}
