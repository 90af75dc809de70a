import type { MqttClient } from 'mqtt';
import { JobExecutionsChangedEvent, JobsRejectedResponse, NextJobExecutionChangedEvent, StartNextJobExecutionResponse, type JobExecutionList } from '@citus/contracts';
import { closedBy, connectMqtt } from './support/devices.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

type Message = { topic: string; payload: Record<string, unknown> };

/** A device on MQTT.js that keeps every message it gets and can wait for the next one on a topic. */
class JobsDevice {
  private readonly inbox: Message[] = [];

  private constructor(
    readonly client: MqttClient,
    readonly thingName: string,
  ) {
    client.on('message', (topic, payload) => this.inbox.push({ topic, payload: JSON.parse(payload.toString()) as Record<string, unknown> }));
    client.on('error', () => undefined);
  }

  static async connect(platform: TestPlatform, device: ActivatedDevice, subscribe = true): Promise<JobsDevice> {
    const client = await connectMqtt(platform, device);
    const jobs = new JobsDevice(client, device.device.thingName);
    // The reply and notification topics only: a `jobs/#` filter would also bring back its own requests.
    const replies = ['+/accepted', '+/rejected', '+/+/accepted', '+/+/rejected', 'notify', 'notify-next'];
    if (subscribe) await client.subscribeAsync(replies.map((suffix) => `${jobs.J}/${suffix}`), { qos: 1 });
    return jobs;
  }

  get J(): string {
    return `$aws/things/${this.thingName}/jobs`;
  }

  /** Publishes to `J/suffix` and waits for the reply with this client token (or the next reply). */
  async request(suffix: string, payload: string | Buffer | object, reply: 'accepted' | 'rejected' = 'accepted'): Promise<Record<string, unknown>> {
    const mark = this.inbox.length;
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await this.client.publishAsync(`${this.J}/${suffix}`, body, { qos: 1 });
    const answer = await this.next((message) => message.topic.startsWith(`${this.J}/${suffix}/`), mark);
    expect(answer.topic).toBe(`${this.J}/${suffix}/${reply}`);
    return answer.payload;
  }

  async next(match: (message: Message) => boolean, after = 0): Promise<Message> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const found = this.inbox.slice(after).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching message for ${this.thingName}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  mark(): number {
    return this.inbox.length;
  }

  since(mark: number): Message[] {
    return this.inbox.slice(mark);
  }
}

// Issue 3 points 2, 8 and 9 with MQTT.js as the device: the jobs device API end to end, isolation,
// and malformed requests on every jobs topic.
describe('Jobs over MQTT with MQTT.js', () => {
  let platform: TestPlatform;
  let api: Api;
  let pumpDevice: ActivatedDevice;
  let pump: JobsDevice;
  let valve: JobsDevice;
  let valveDevice: ActivatedDevice;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    [pumpDevice, valveDevice] = await Promise.all([declareAndActivate(api, 'Pump'), declareAndActivate(api, 'Valve')]);
    pump = await JobsDevice.connect(platform, pumpDevice);
    valve = await JobsDevice.connect(platform, valveDevice);
  });
  afterAll(async () => {
    await Promise.all([pump?.client.endAsync(), valve?.client.endAsync()]);
    await platform.destroy();
  });

  it('notifies a connected target, then runs its execution to SUCCEEDED', async () => {
    const mark = pump.mark();
    expect((await api.post('/api/v1/jobs', { jobId: 'reboot-1', targets: [pump.thingName], document: { op: 'reboot' } })).status).toBe(201);
    const notify = await pump.next((message) => message.topic === `${pump.J}/notify`, mark);
    expect(JobExecutionsChangedEvent.parse(notify.payload).jobs.QUEUED).toEqual([expect.objectContaining({ jobId: 'reboot-1', versionNumber: 1 })]);
    const next = await pump.next((message) => message.topic === `${pump.J}/notify-next`, mark);
    expect(NextJobExecutionChangedEvent.parse(next.payload).execution).toMatchObject({ jobId: 'reboot-1', jobDocument: { op: 'reboot' }, status: 'QUEUED' });

    const pending = await pump.request('get', { clientToken: 'c-1' });
    expect(pending).toMatchObject({ clientToken: 'c-1', inProgressJobs: [], queuedJobs: [expect.objectContaining({ jobId: 'reboot-1' })] });
    const started = StartNextJobExecutionResponse.parse(await pump.request('start-next', { clientToken: 'c-2', statusDetails: { step: 'begin' } }));
    expect(started).toMatchObject({ clientToken: 'c-2', execution: { status: 'IN_PROGRESS', versionNumber: 2, statusDetails: { step: 'begin' } } });
    expect(Math.abs((started.timestamp ?? 0) - Date.now() / 1000)).toBeLessThan(5);

    const beforeUpdate = pump.mark();
    const done = await pump.request('reboot-1/update', { status: 'SUCCEEDED', expectedVersion: 2, includeJobExecutionState: true, clientToken: 'c-3' });
    expect(done).toMatchObject({ clientToken: 'c-3', executionState: { status: 'SUCCEEDED', versionNumber: 3 } });
    const lastNext = await pump.next((message) => message.topic === `${pump.J}/notify-next`, beforeUpdate);
    expect(lastNext.payload).toEqual({ timestamp: expect.any(Number) });
    const executions = await api.get<JobExecutionList>('/api/v1/jobs/reboot-1/executions');
    expect(executions.body.items[0]).toMatchObject({ status: 'SUCCEEDED', versionNumber: 3 });
    expect((await api.get<{ status: string }>('/api/v1/jobs/reboot-1')).body.status).toBe('COMPLETED');
  });

  it('answers a device that never subscribed to the reply topics', async () => {
    const bare = await JobsDevice.connect(platform, valveDevice, false);
    try {
      const reply = await bare.request('get', { clientToken: 'bare' });
      expect(reply).toMatchObject({ clientToken: 'bare', queuedJobs: [] });
    } finally {
      await bare.client.endAsync();
      valve = await JobsDevice.connect(platform, valveDevice);
    }
  });

  describe('isolation between devices', () => {
    it.each([
      ['listing the jobs of', (thing: string) => ({ publish: `$aws/things/${thing}/jobs/get` })],
      ['starting the next job of', (thing: string) => ({ publish: `$aws/things/${thing}/jobs/start-next` })],
      ['describing an execution of', (thing: string) => ({ publish: `$aws/things/${thing}/jobs/guarded/get` })],
      ['updating an execution of', (thing: string) => ({ publish: `$aws/things/${thing}/jobs/guarded/update` })],
      ['subscribing to the notifications of', (thing: string) => ({ subscribe: `$aws/things/${thing}/jobs/notify-next` })],
    ])('closes a device %s another device', async (_case, action) => {
      await api.post('/api/v1/jobs', { jobId: 'guarded', targets: [pump.thingName], document: {} });
      const intruder = await connectMqtt(platform, valveDevice, { clientId: valveDevice.device.thingName });
      intruder.on('error', () => undefined);
      const { publish, subscribe } = action(pump.thingName) as { publish?: string; subscribe?: string };
      const closed = closedBy(intruder, 5_000);
      if (publish) intruder.publish(publish, JSON.stringify({ status: 'SUCCEEDED' }), { qos: 1 }, () => undefined);
      if (subscribe) intruder.subscribe(subscribe, { qos: 1 }, () => undefined);
      await closed;
      intruder.end(true);
      const executions = await api.get<JobExecutionList>('/api/v1/jobs/guarded/executions');
      expect(executions.body.items).toEqual([expect.objectContaining({ thingName: pump.thingName, status: 'QUEUED', versionNumber: 1 })]);
      valve = await JobsDevice.connect(platform, valveDevice);
    });
  });

  describe('malformed requests', () => {
    beforeAll(async () => {
      await api.post('/api/v1/jobs', { jobId: 'malformed', targets: [pump.thingName], document: {} });
    });

    const cases: Array<[string, string, string | Buffer, string]> = [
      ['get', 'invalid JSON', '{"clientToken":', 'InvalidJson'],
      ['get', 'a non-UTF-8 payload', Buffer.from([0x7b, 0xff, 0x7d]), 'InvalidJson'],
      ['get', 'a JSON array', '[1]', 'InvalidRequest'],
      ['start-next', 'a wrong type of statusDetails', '{"clientToken":"t","statusDetails":{"a":1}}', 'InvalidRequest'],
      ['start-next', 'a step timeout out of range', '{"clientToken":"t","stepTimeoutInMinutes":0}', 'InvalidRequest'],
      ['malformed/get', 'a wrong type of executionNumber', '{"clientToken":"t","executionNumber":"1"}', 'InvalidRequest'],
      ['malformed/update', 'no status', '{"clientToken":"t"}', 'InvalidRequest'],
      ['malformed/update', 'an unknown status', '{"clientToken":"t","status":"DONE"}', 'InvalidRequest'],
      ['malformed/update', 'a bad expectedVersion', '{"clientToken":"t","status":"IN_PROGRESS","expectedVersion":"one"}', 'InvalidRequest'],
      ['malformed/update', 'a stale expectedVersion', '{"clientToken":"t","status":"IN_PROGRESS","expectedVersion":7}', 'VersionMismatch'],
      ['malformed/update', 'a status only the service sets', '{"clientToken":"t","status":"CANCELED"}', 'InvalidStateTransition'],
      ['no-such-job/update', 'an unknown job', '{"clientToken":"t","status":"IN_PROGRESS"}', 'ResourceNotFound'],
      ['no-such-job/get', 'an unknown job', '{"clientToken":"t"}', 'ResourceNotFound'],
      ['bogus', 'an unknown jobs topic', '{"clientToken":"t"}', 'InvalidTopic'],
      ['malformed/delete', 'an unknown jobs operation', '{}', 'InvalidTopic'],
    ];

    it.each(cases)('on %s, %s (payload %s) is answered %s on /rejected while another device keeps working', async (suffix, _case, payload, code) => {
      const valveRequest = valve.request('get', { clientToken: 'still-here' });
      const rejected = JobsRejectedResponse.parse(await pump.request(suffix, payload, 'rejected'));
      expect(rejected.code).toBe(code);
      if (payload.includes('"clientToken":"t"') && code !== 'InvalidJson') expect(rejected.clientToken).toBe('t');
      if (['VersionMismatch', 'InvalidStateTransition'].includes(code)) expect(rejected.executionState).toMatchObject({ status: 'QUEUED', versionNumber: 1 });
      else expect(rejected.executionState).toBeUndefined();
      expect(await valveRequest).toMatchObject({ clientToken: 'still-here' });
      expect(pump.client.connected).toBe(true);
    });
  });
});
