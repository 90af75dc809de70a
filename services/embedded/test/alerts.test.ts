import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { Analyser, AlertRule, AlertWebhookBody, SecretList, TelemetryPage, type ErrorEnvelope, type User } from '@citus/contracts';
import { createLogger } from '@citus/kit';
import { startPlatform } from '../src/index.js';
import { eventually, signatureVerifies, startStandIn, type StandIn } from '../../analytics/test/support/alert-stand-ins.js';
import { connectMqtt, reading } from './support/devices.js';
import { ADMIN_PASSWORD, Api, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

const HOOK_SECRET = 'whsec_embedded-3b9a-never-logged';
const PLATE_KEY = 'plate-token-7c41e0-never-logged';
const FACE_KEY = 'face-key-52d8aa-never-logged';

const codeOf = (response: { status: number; body: unknown }) => [response.status, (response.body as ErrorEnvelope).error?.code];

// Issue 8 points 6 and 7 through the embedded platform: real HTTP, real MQTT over TLS, the real hub's
// shadows and telemetry store, and local HTTP servers standing in for the webhook receiver and the vendors.
describe('alerts, analysers and secrets on the embedded platform', () => {
  const logged: string[] = [];
  let platform: TestPlatform;
  let admin: Api;
  let theirs: Api;
  let dora: Api; // a plain user of "default"
  let dev: Api; // a developer of "default"
  let pump: ActivatedDevice;
  let device: MqttClient;
  let receiver: StandIn; // the webhook receiver
  let vendor: StandIn; // the vendor stand-in, plate recognition and face detection by path

  const member = async (username: string, role: string): Promise<Api> => {
    const user = await admin.post<User>('/api/v1/users', { username, password: `${username}-Passw0rd!` });
    expect((await admin.put('/api/v1/workspaces/default/members', { userId: user.body.id, role })).status).toBe(200);
    return Api.login(platform.baseUrl, username, `${username}-Passw0rd!`);
  };
  const publish = (topic: string, payload: Record<string, unknown>) => device.publishAsync(topic, reading(payload), { qos: 1 });

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'citus-alerts-'));
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logged.push(line) } });
    const started = await startPlatform(
      { PORT: '0', HOST: '127.0.0.1', MQTT_TLS_PORT: '0', MQTT_HOST: '127.0.0.1', CITUS_DATA_DIR: dataDir, CITUS_ADMIN_PASSWORD: ADMIN_PASSWORD },
      logger,
    );
    platform = {
      ...started,
      baseUrl: `http://127.0.0.1:${started.httpPort}`,
      async destroy() {
        await started.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    expect((await admin.post('/api/v1/workspaces', { slug: 'theirs', name: 'Theirs' })).status).toBe(201);
    theirs = admin.inWorkspace('theirs');
    dora = await member('dora', 'user');
    dev = await member('devon', 'developer');
    pump = await declareAndActivate(admin, 'Pump');
    device = await connectMqtt(platform, pump);
    receiver = await startStandIn();
    vendor = await startStandIn();
    for (const [name, value] of [['hook', HOOK_SECRET], ['plates-key', PLATE_KEY], ['faces-key', FACE_KEY]]) {
      expect((await admin.put(`/api/v1/secrets/${name}`, { value })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await device?.endAsync();
    await platform?.destroy();
    await receiver?.close();
    await vendor?.close();
  });

  it('keeps secrets write-only and to the admins of their workspace', async () => {
    const put = await admin.put('/api/v1/secrets/scratch', { value: 'scratch-value-1' });
    expect(put.body).toEqual({ name: 'scratch', createdAt: expect.any(String), updatedAt: expect.any(String) });
    const list = await admin.get<SecretList>('/api/v1/secrets');
    expect(SecretList.parse(list.body).items.map((secret) => secret.name)).toEqual(['faces-key', 'hook', 'plates-key', 'scratch']);
    expect(JSON.stringify(list.body)).not.toMatch(/scratch-value-1|never-logged/);
    expect(codeOf(await dora.get('/api/v1/secrets'))).toEqual([403, 'forbidden']);
    expect(codeOf(await dev.put('/api/v1/secrets/scratch', { value: 'x' }))).toEqual([403, 'forbidden']);
    expect((await theirs.get<SecretList>('/api/v1/secrets')).body.items).toEqual([]);
    expect(codeOf(await theirs.delete('/api/v1/secrets/scratch'))).toEqual([404, 'not_found']);
    for (const [path, body] of [
      ['/api/v1/secrets/not%20a%20name', { value: 'x' }],
      ['/api/v1/secrets/scratch', { value: '' }],
      ['/api/v1/secrets/scratch', { value: 'x', extra: true }],
      ['/api/v1/secrets/scratch', { value: 'x'.repeat(4097) }],
    ] as const) {
      expect([path, codeOf(await admin.put(path, body))]).toEqual([path, [400, 'bad_request']]);
    }
    expect((await admin.delete('/api/v1/secrets/scratch')).status).toBe(204);
    expect(codeOf(await admin.delete('/api/v1/secrets/scratch'))).toEqual([404, 'not_found']);
  });

  it('validates alert rules (400), lets developers write them, and keeps them to their workspace (404)', async () => {
    const valid = { name: 'hot', trigger: { anomaly: {} }, actions: [{ webhook: { url: `${receiver.url}/x`, secretName: 'hook' } }] };
    for (const invalid of [
      { ...valid, actions: [{ webhook: { url: 'http://hooks.example.com/x', secretName: 'hook' } }] },
      { ...valid, actions: [{ webhook: { url: 'not a url', secretName: 'hook' } }] },
      { ...valid, actions: [{ webhook: { url: 'https://user:pw@hooks.example.com/x', secretName: 'hook' } }] },
      { ...valid, trigger: { threshold: { field: 'temperature', op: 'between', value: 1 } } },
      { ...valid, trigger: { anomaly: { minScore: 2 } } },
      { ...valid, actions: [] },
      { ...valid, actions: [{ shadow: { desired: {} } }] },
      { ...valid, cooldownSeconds: -1 },
      { ...valid, cooldownSeconds: 0 },
      { ...valid, actions: [{ shadow: { desired: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } }] },
      { ...valid, actions: [{ shadow: { desired: { blob: 'x'.repeat(8 * 1024) } } }] },
      { ...valid, surprise: 1 },
    ]) {
      const response = await dev.post('/api/v1/alert-rules', invalid);
      expect([JSON.stringify(invalid), codeOf(response)]).toEqual([JSON.stringify(invalid), [400, 'bad_request']]);
    }
    expect(codeOf(await dora.post('/api/v1/alert-rules', valid))).toEqual([403, 'forbidden']);
    const created = await dev.post<AlertRule>('/api/v1/alert-rules', { ...valid, enabled: false });
    expect(created.status).toBe(201);
    const rule = AlertRule.parse(created.body);
    expect(rule).toMatchObject({ name: 'hot', enabled: false, match: {}, cooldownSeconds: 300, lastDelivery: null });
    expect((await dora.get(`/api/v1/alert-rules/${rule.id}`)).body).toEqual(rule);
    expect(codeOf(await dora.delete(`/api/v1/alert-rules/${rule.id}`))).toEqual([403, 'forbidden']);
    expect(codeOf(await theirs.get(`/api/v1/alert-rules/${rule.id}`))).toEqual([404, 'not_found']);
    expect(codeOf(await theirs.put(`/api/v1/alert-rules/${rule.id}`, valid))).toEqual([404, 'not_found']);
    expect(codeOf(await theirs.delete(`/api/v1/alert-rules/${rule.id}`))).toEqual([404, 'not_found']);
    expect((await theirs.get<{ items: AlertRule[] }>('/api/v1/alert-rules')).body.items).toEqual([]);
    expect(codeOf(await admin.get('/api/v1/alert-rules/not-a-rule'))).toEqual([400, 'bad_request']);
    expect((await dev.delete(`/api/v1/alert-rules/${rule.id}`)).status).toBe(204);
  });

  it('on a threshold, posts a signed webhook and sets desired state on the device shadow, once per cool-down', async () => {
    const { thingName } = pump.device;
    const created = await dev.post<AlertRule>('/api/v1/alert-rules', {
      name: 'overheating',
      match: { thingName },
      trigger: { threshold: { field: 'temperature', op: 'gt', value: 80 } },
      actions: [{ webhook: { url: `${receiver.url}/alerts`, secretName: 'hook' } }, { shadow: { desired: { fan: 'max' } } }],
      cooldownSeconds: 3600,
    });
    expect(created.status).toBe(201);
    await publish(`telemetry/${thingName}`, { temperature: 20 });
    for (const temperature of [90, 95, 99]) await publish(`telemetry/${thingName}`, { temperature });

    const rule = await eventually(
      async () => AlertRule.parse((await dora.get(`/api/v1/alert-rules/${created.body.id}`)).body),
      (current) => current.lastDelivery !== null,
      'the rule to fire',
    );
    expect(rule.lastDelivery).toMatchObject({
      thingName,
      ok: true,
      actions: [
        { action: 'webhook', ok: true, attempts: 1, httpStatus: 200 },
        { action: 'shadow', ok: true, attempts: 1 },
      ],
    });
    const [hook] = receiver.received;
    expect(signatureVerifies(hook?.headers['x-citus-signature'], HOOK_SECRET, hook!.body)).toBe(true);
    expect(AlertWebhookBody.parse(JSON.parse(hook!.body.toString()))).toMatchObject({ trigger: 'threshold', thingName, field: 'temperature', value: 90 });
    const shadow = await admin.get<{ state: { desired?: Record<string, unknown> } }>(`/api/v1/things/${thingName}/shadow`);
    expect(shadow.status).toBe(200);
    expect(shadow.body.state.desired).toEqual({ fan: 'max' });
    await new Promise((done) => setTimeout(done, 300));
    expect(receiver.received).toHaveLength(1);
  });

  it('sends camera images to the plate vendor stand-in and stores what it reads as telemetry', async () => {
    vendor.answerWith((request) =>
      request.path === '/v1/plate-reader/'
        ? { status: 201, body: { processing_time: 80, results: [{ plate: 'ab123cd', score: 0.91, box: { xmin: 1, ymin: 2, xmax: 30, ymax: 12 }, region: { code: 'fr' } }] } }
        : { status: 404 },
    );
    const { thingName } = pump.device;
    const analyser = {
      name: 'plates',
      kind: 'plate-recognition',
      endpoint: `${vendor.url}/v1/plate-reader/`,
      secretName: 'plates-key',
      match: { stream: 'camera' },
      imageField: 'image.url',
    };
    const created = await admin.post<Analyser>('/api/v1/analysers', analyser);
    expect(created.status).toBe(201);
    expect(codeOf(await admin.post('/api/v1/analysers', analyser))).toEqual([409, 'conflict']);
    expect(codeOf(await admin.post('/api/v1/analysers', { ...analyser, name: 'plates-2', endpoint: 'http://vendor.example.com/' }))).toEqual([400, 'bad_request']);
    expect(codeOf(await admin.post('/api/v1/analysers', { ...analyser, name: 'plates-2', timeoutMs: 0 }))).toEqual([400, 'bad_request']);
    expect(codeOf(await dora.post('/api/v1/analysers', { ...analyser, name: 'plates-3' }))).toEqual([403, 'forbidden']);
    // An analyser sends its secret to its endpoint, so only admins, who may set secrets, may point one anywhere.
    expect(codeOf(await dev.post('/api/v1/analysers', { ...analyser, name: 'plates-3', endpoint: 'https://attacker.example/' }))).toEqual([403, 'forbidden']);
    expect(codeOf(await dev.put(`/api/v1/analysers/${created.body.id}`, { ...analyser, endpoint: 'https://attacker.example/' }))).toEqual([403, 'forbidden']);
    expect(codeOf(await dev.delete(`/api/v1/analysers/${created.body.id}`))).toEqual([403, 'forbidden']);
    expect(codeOf(await theirs.get(`/api/v1/analysers/${created.body.id}`))).toEqual([404, 'not_found']);

    await publish(`telemetry/${thingName}/camera`, { image: { url: 'https://images.example/gate-1.jpg' } });
    const page = await eventually(
      async () => TelemetryPage.parse((await admin.get(`/api/v1/telemetry?thingName=${thingName}&limit=1000`)).body),
      (current) => current.items.some((item) => item.topic.endsWith('/analysis-plates')),
      'the analysis to be stored',
    );
    const result = page.items.find((item) => item.topic === `telemetry/${thingName}/analysis-plates`);
    expect(result?.payload).toEqual({
      analyser: 'plates',
      kind: 'plate-recognition',
      source: { topic: `telemetry/${thingName}/camera`, epoch: expect.any(Number) },
      image: 'https://images.example/gate-1.jpg',
      plates: [{ plate: 'ab123cd', score: 0.91, box: { xmin: 1, ymin: 2, xmax: 30, ymax: 12 }, region: 'fr' }],
      count: 1,
    });
    const [call] = vendor.received;
    expect(call?.headers.authorization).toBe(`Token ${PLATE_KEY}`);
    const form = await new Response(new Uint8Array(call!.body), { headers: { 'content-type': String(call!.headers['content-type']) } }).formData();
    expect(form.get('upload_url')).toBe('https://images.example/gate-1.jpg');
    const after = Analyser.parse((await dora.get(`/api/v1/analysers/${created.body.id}`)).body);
    expect(after.lastRun).toMatchObject({ thingName, status: 'ok' });
    expect(vendor.received).toHaveLength(1); // its own result, on analysis-plates, is not analysed again
    expect((await admin.delete(`/api/v1/analysers/${created.body.id}`)).status).toBe(204);
  });

  it('records a vendor time-out and a vendor 500 without retrying, and never logs a key or secret', async () => {
    vendor.received.length = 0;
    vendor.answerWith((request) => (request.path === '/slow' ? { status: 200, body: [], delayMs: 3_000 } : { status: 500, body: { error: 'boom' } }));
    const face = { kind: 'face-detection', secretName: 'faces-key', match: { stream: 'door' }, imageField: 'snapshot' };
    const slow = await admin.post<Analyser>('/api/v1/analysers', { ...face, name: 'faces-slow', endpoint: `${vendor.url}/slow`, timeoutMs: 200 });
    const broken = await admin.post<Analyser>('/api/v1/analysers', { ...face, name: 'faces-broken', endpoint: `${vendor.url}/broken` });
    expect([slow.status, broken.status]).toEqual([201, 201]);

    await publish(`telemetry/${pump.device.thingName}/door`, { snapshot: 'https://images.example/door.jpg' });
    const lastRun = (id: string) =>
      eventually(
        async () => Analyser.parse((await dora.get(`/api/v1/analysers/${id}`)).body).lastRun,
        (run) => run !== null,
        'a recorded run',
      );
    expect(await lastRun(slow.body.id)).toMatchObject({ status: 'timeout', error: 'the vendor did not answer in time' });
    expect(await lastRun(broken.body.id)).toMatchObject({ status: 'error', error: 'the vendor answered 500' });
    expect(vendor.received).toHaveLength(2);
    for (const call of vendor.received) {
      expect(call.headers['ocp-apim-subscription-key']).toBe(FACE_KEY);
      expect(JSON.parse(call.body.toString())).toEqual({ url: 'https://images.example/door.jpg' });
    }
    const log = logged.join('\n');
    expect(log).toContain('analyser run failed');
    for (const secret of [HOOK_SECRET, PLATE_KEY, FACE_KEY]) expect(log).not.toContain(secret);
  });
});
