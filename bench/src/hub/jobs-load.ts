import { performance } from 'node:perf_hooks';
import { JobExecutionList, JobsRejectedResponse, StartNextJobExecutionResponse, type CreateJobResponse } from '@citus/contracts';
import { LatencyRecorder } from '../ingest/latency-recorder.js';
import { mapLimit, withTimeout } from '../support/async.js';
import type { RestClient } from '../support/rest-client.js';
import type { TlsMqttClient } from './tls-mqtt-client.js';

export interface JobsResult {
  devices: number;
  jobs: number;
  /** Executions the devices took from QUEUED to SUCCEEDED: `update/accepted` replies. */
  completed: number;
  expected: number;
  seconds: number;
  executionsPerSec: number;
  /** Request-to-reply latency of `start-next` and `{jobId}/update` together. */
  p50Ms: number;
  p99Ms: number;
  errors: string[];
}

interface Device {
  client: TlsMqttClient;
  thingName: string;
  completed: number;
  done: boolean;
  sentAt: number;
  seq: number;
}

const RUN_TIMEOUT_MS = 300_000;
const MAX_ERRORS = 20;

/**
 * The AWS IoT Jobs device loop ("Jobs device MQTT API"): `start-next` takes the next QUEUED
 * execution to IN_PROGRESS and answers it with its job document; the device reports SUCCEEDED on
 * `jobs/{jobId}/update` with the execution's `expectedVersion`; when `start-next/accepted` comes
 * without an execution, nothing is pending and the device is done.
 */
export class JobsLoad {
  private readonly latency = new LatencyRecorder();
  private readonly errors: string[] = [];
  private readonly devices: Device[];
  private completed = 0;
  private remaining: number;
  private onFinished: (() => void) | undefined;

  constructor(clients: TlsMqttClient[]) {
    this.devices = clients.map((client) => ({ client, thingName: client.clientId, completed: 0, done: false, sentAt: 0, seq: 0 }));
    this.remaining = this.devices.length;
    for (const device of this.devices) {
      device.client.onMessage = (topic, payload) => this.onReply(device, topic, payload);
      device.client.onClose = () => {
        if (!device.done) this.finish(device, `${device.thingName}: connection closed before its jobs were done`);
      };
    }
  }

  /** Jobs for every device, created before the devices start: a queue of `count` executions each. */
  static async createJobs(api: RestClient, thingNames: string[], count: number): Promise<string[]> {
    const runId = Date.now().toString(36);
    const ids: string[] = [];
    for (let index = 1; index <= count; index++) {
      const document = { operation: 'bench', step: index, url: `https://example.com/firmware/${index}.bin` };
      const created = await api.post<CreateJobResponse>('/api/v1/jobs', { jobId: `bench-${runId}-${index}`, targets: thingNames, document });
      ids.push(created.jobId);
    }
    return ids;
  }

  async run(jobs: number, log: (line: string) => void): Promise<JobsResult> {
    const startedAt = performance.now();
    for (const device of this.devices) this.startNext(device);
    const finished = new Promise<void>((resolve) => (this.onFinished = resolve));
    const ticker = setInterval(() => log(`  jobs ${((performance.now() - startedAt) / 1000).toFixed(0).padStart(4)}s  ${this.completed.toLocaleString('en-US').padStart(7)} executions done, ${this.remaining} devices busy`), 1000);
    try {
      if (this.remaining > 0) await withTimeout(finished, RUN_TIMEOUT_MS, `jobs not done after ${RUN_TIMEOUT_MS} ms`);
    } catch (error) {
      this.error(error instanceof Error ? error.message : String(error));
    } finally {
      clearInterval(ticker);
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const expected = jobs * this.devices.length;
    if (this.completed !== expected) this.error(`${this.completed} executions completed, ${expected} expected`);
    const [p50Ms = Number.NaN, p99Ms = Number.NaN] = this.latency.percentiles(50, 99);
    return { devices: this.devices.length, jobs, completed: this.completed, expected, seconds, executionsPerSec: this.completed / seconds, p50Ms, p99Ms, errors: this.errors };
  }

  /** Every execution of every job must read SUCCEEDED through the control plane. */
  async verify(api: RestClient, jobIds: string[], result: JobsResult): Promise<void> {
    await mapLimit(jobIds, 2, async (jobId) => {
      const { items } = JobExecutionList.parse(await api.get(`/api/v1/jobs/${jobId}/executions`));
      const succeeded = items.filter((execution) => execution.status === 'SUCCEEDED').length;
      if (items.length !== this.devices.length || succeeded !== items.length) {
        this.error(`job ${jobId}: ${succeeded} of ${items.length} executions SUCCEEDED, ${this.devices.length} targets`);
      }
    });
    result.errors = this.errors;
  }

  private startNext(device: Device): void {
    this.request(device, `$aws/things/${device.thingName}/jobs/start-next`, {});
  }

  private request(device: Device, topic: string, body: object): void {
    device.sentAt = performance.now();
    device.client.publish(topic, JSON.stringify({ ...body, clientToken: `${device.thingName}:${++device.seq}` }), 1);
  }

  private onReply(device: Device, topic: string, payload: Buffer): void {
    if (device.done || !topic.endsWith('/accepted') && !topic.endsWith('/rejected')) return;
    this.latency.record(performance.now() - device.sentAt);
    const body = JSON.parse(payload.toString('utf8')) as unknown;
    if (topic.endsWith('/rejected')) {
      const rejection = JobsRejectedResponse.safeParse(body);
      return this.finish(device, `${device.thingName}: ${topic} ${rejection.success ? `${rejection.data.code} ${rejection.data.message}` : payload.toString('utf8')}`);
    }
    if (topic.endsWith('/start-next/accepted')) return this.onStarted(device, body);
    // `jobs/{jobId}/update/accepted`: one execution SUCCEEDED; take the next.
    device.completed++;
    this.completed++;
    this.startNext(device);
  }

  private onStarted(device: Device, body: unknown): void {
    const parsed = StartNextJobExecutionResponse.safeParse(body);
    if (!parsed.success) return this.finish(device, `${device.thingName}: start-next/accepted does not match the contract: ${parsed.error.message}`);
    const execution = parsed.data.execution;
    if (!execution) return this.finish(device);
    if (execution.status !== 'IN_PROGRESS') return this.finish(device, `${device.thingName}: start-next gave ${execution.jobId} in ${execution.status}`);
    const topic = `$aws/things/${device.thingName}/jobs/${execution.jobId}/update`;
    this.request(device, topic, { status: 'SUCCEEDED', expectedVersion: execution.versionNumber, statusDetails: { step: 'done' } });
  }

  private finish(device: Device, error?: string): void {
    if (device.done) return;
    device.done = true;
    if (error) this.error(error);
    if (--this.remaining === 0) this.onFinished?.();
  }

  private error(message: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(message);
    else if (this.errors.length === MAX_ERRORS) this.errors.push('(more errors left out)');
  }
}
