import { JobsRejectedResponse, GetPendingJobExecutionsResponse, ShadowDocument, ShadowErrorResponse, ShadowUpdateAccepted, type TelemetryPage } from '@citus/contracts';
import { reading } from './support/devices.js';
import { MosquittoDevice, requireMosquittoClients, summarize, type CliResult, type SubProcess } from './support/mqtt-cli.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

/** `mosquitto_sub` waits at most this long for its message (`-W`), in seconds. */
const WAIT = '5';

function expectSuccess(result: CliResult): void {
  if (result.code !== 0) throw new Error(`mosquitto client failed: ${summarize(result)}`);
}

/** The one message a `-C 1` subscriber printed, parsed as JSON. */
async function onlyMessage(sub: SubProcess): Promise<{ topic: string; body: Record<string, unknown>; retained: boolean }> {
  const result = await sub.exited;
  const [message] = sub.messages();
  if (result.code !== 0 || !message) throw new Error(`mosquitto_sub got no message: ${summarize(result)}`);
  return { topic: message.topic, body: JSON.parse(message.payload) as Record<string, unknown>, retained: message.retained };
}

// Issue 3 point 7: the core cases with Debian's mosquitto_pub / mosquitto_sub, clients written
// by neither AWS nor us, over mutual TLS with the device's files. A device may connect only with
// its thing name as client id, and a second connection with the same id takes the first one
// over (MQTT-3.1.4-2), so the subscriber runs beside the publisher as `{thing}-monitor`, a client
// id a policy attached to the certificate allows, as an AWS IoT user would allow it.
describe('independent MQTT clients: mosquitto_pub and mosquitto_sub', () => {
  let platform: TestPlatform;
  let api: Api;
  let activated: ActivatedDevice;
  let device: MosquittoDevice;
  let monitor: MosquittoDevice;
  let thing: string;
  let S: string;

  beforeAll(async () => {
    requireMosquittoClients();
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    activated = await declareAndActivate(api, 'Mosquitto sensor');
    thing = activated.device.thingName;
    S = `$aws/things/${thing}/shadow`;
    const policyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:*:*:client/${thing}-monitor` }],
    };
    expect((await api.post('/api/v1/policies', { policyName: 'mosquitto-monitor', policyDocument })).status).toBe(201);
    expect((await api.put(`/api/v1/policies/mosquitto-monitor/targets/${activated.activation.certificateId}`)).status).toBe(204);
    device = MosquittoDevice.create(platform, activated);
    monitor = MosquittoDevice.create(platform, activated, `${thing}-monitor`);
  });
  afterEach(async () => {
    await Promise.all([device?.killAll(), monitor?.killAll()]);
  });
  afterAll(async () => {
    await Promise.all([device?.destroy(), monitor?.destroy()]);
    await platform?.destroy();
  });

  /** Subscribes the monitor to `replyTopic` first (SUBACK seen), then publishes the request as the device. */
  async function request(topic: string, replyTopic: string, message: string): Promise<{ topic: string; body: Record<string, unknown> }> {
    const sub = monitor.sub(['-t', replyTopic, '-q', '1', '-C', '1', '-W', WAIT]);
    await sub.subscribed;
    expectSuccess(await device.pub(['-t', topic, '-q', '1', '-m', message]));
    return onlyMessage(sub);
  }

  it('stores telemetry published with QoS 1, readable over HTTP', async () => {
    expectSuccess(await device.pub(['-t', `telemetry/${thing}`, '-q', '1', '-m', reading({ label: 'from mosquitto_pub' })]));
    const page = await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${thing}&limit=10`);
    expect(page.status).toBe(200);
    expect(page.body.items.map((item) => item.payload.label)).toContain('from mosquitto_pub');
  });

  it('updates the shadow and answers on update/accepted, then answers a get', async () => {
    const update = JSON.stringify({ state: { desired: { fan: 'on' }, reported: { fan: 'off' } }, clientToken: 'mosq-1' });
    const accepted = await request(`${S}/update`, `${S}/update/accepted`, update);
    expect(ShadowUpdateAccepted.parse(accepted.body)).toMatchObject({ state: { desired: { fan: 'on' }, reported: { fan: 'off' } }, version: 1, clientToken: 'mosq-1' });

    const got = await request(`${S}/get`, `${S}/get/accepted`, JSON.stringify({ clientToken: 'mosq-2' }));
    expect(ShadowDocument.parse(got.body)).toMatchObject({
      state: { desired: { fan: 'on' }, reported: { fan: 'off' }, delta: { fan: 'on' } },
      version: 1,
      clientToken: 'mosq-2',
    });
  });

  it('rejects invalid JSON on update with code 400 on update/rejected', async () => {
    const rejected = await request(`${S}/update`, `${S}/update/rejected`, '{"state": {"desired": ');
    expect(ShadowErrorResponse.parse(rejected.body)).toMatchObject({ code: 400 });
  });

  it('answers jobs get with the pending execution of a job created over HTTP', async () => {
    const created = await api.post<{ jobId: string }>('/api/v1/jobs', { targets: [thing], document: { operation: 'reboot' } });
    expect(created.status).toBe(201);
    const J = `$aws/things/${thing}/jobs`;
    const accepted = await request(`${J}/get`, `${J}/get/accepted`, JSON.stringify({ clientToken: 'mosq-jobs' }));
    const pending = GetPendingJobExecutionsResponse.parse(accepted.body);
    expect(pending.queuedJobs.map((job) => job.jobId)).toEqual([created.body.jobId]);
    expect(pending.clientToken).toBe('mosq-jobs');
    const unknown = await request(`${J}/nothing-here`, `${J}/nothing-here/rejected`, '{}');
    expect(JobsRejectedResponse.parse(unknown.body).code).toBe('InvalidTopic');
  });

  it('refuses a subscription to # and to another thing topics by closing the connection', async () => {
    for (const filter of ['#', '$aws/things/someone-else/shadow/update/accepted']) {
      const sub = device.sub(['-t', filter, '-W', WAIT]);
      const result = await sub.exited;
      expect(result.code).not.toBe(0);
      expect(result.stdout).not.toMatch(/^Subscribed \(mid/m);
    }
  });

  it('keeps a retained message for a later subscriber, over MQTT 5', async () => {
    expectSuccess(await device.pub(['-t', `things/${thing}/config`, '-q', '1', '-r', '-m', 'interval=30'], 'mqttv5'));
    const sub = monitor.sub(['-t', `things/${thing}/config`, '-C', '1', '-W', WAIT], 'mqttv5');
    const result = await sub.exited;
    expect(result.code).toBe(0);
    expect(sub.messages()).toEqual([{ topic: `things/${thing}/config`, payload: 'interval=30', retained: true }]);
  });

  it('publishes the retained will of a client killed with SIGKILL', async () => {
    const status = `things/${thing}/status`;
    const watcher = monitor.sub(['-t', status, '-q', '1', '-C', '1', '-W', '10']);
    await watcher.subscribed;
    const doomed = device.sub(['-t', `things/${thing}/commands`, '--will-topic', status, '--will-payload', 'lost', '--will-retain', '--will-qos', '1']);
    await doomed.subscribed;
    doomed.kill('SIGKILL');
    expect((await watcher.exited).code).toBe(0);
    expect(watcher.messages()).toEqual([{ topic: status, payload: 'lost', retained: false }]);

    const later = monitor.sub(['-t', status, '-C', '1', '-W', WAIT]);
    expect((await later.exited).code).toBe(0);
    expect(later.messages()).toEqual([{ topic: status, payload: 'lost', retained: true }]);
  });
});
