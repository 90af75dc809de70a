import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import {
  TelemetryPage,
  type CreatedTopicRule,
  type ErrorEnvelope,
  type RuleErrorMessage,
  type TopicRule,
  type TopicRuleList,
} from '@citus/contracts';
import { connectMqtt } from './support/devices.js';
import { Api, bootTestPlatform, declareAndActivate, workspacePeople, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';
import { eventually } from './support/eventually.js';

interface Received {
  path: string;
  body: string;
  signature: string | undefined;
  headers: IncomingMessage['headers'];
}

/**
 * A webhook receiver on 127.0.0.1 (plain HTTP is allowed for a loopback host; the HTTPS case is in
 * topic-rules-https.test.ts). `answers` says what a path answers: a status, or a promise to wait on.
 */
class Receiver {
  readonly received: Received[] = [];
  readonly answers = new Map<string, () => number | Promise<number>>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const path = req.url ?? '/';
        const answer = await (this.answers.get(path) ?? (() => 204))();
        this.received.push({ path, body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-citus-signature'] as string | undefined, headers: req.headers });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  at(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('topic rules', () => {
  let platform: TestPlatform;
  let admin: Api;
  let elsewhere: Api;
  let dora: Api;
  let sensor: ActivatedDevice;
  let thingName: string;
  let device: MqttClient;
  let receiver: Receiver;
  let foreignThing: string;

  const telemetry = async () => TelemetryPage.parse((await admin.get(`/api/v1/telemetry?thingName=${thingName}&limit=1000`)).body).items;
  const publish = (payload: Record<string, unknown>, topic = `telemetry/${thingName}`) => device.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
  const createRule = async (body: Record<string, unknown>) => {
    const created = await admin.post<CreatedTopicRule>('/api/v1/rules', body);
    expect(created.status).toBe(201);
    return created.body;
  };

  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    platform = await bootTestPlatform({ CITUS_RULE_RETRY_BASE_MS: '50', CITUS_RULE_ACTION_ATTEMPTS: '3', CITUS_RULE_HTTP_PRIVATE: 'allow' });
    ({ admin, elsewhere, dora } = await workspacePeople(platform));
    sensor = await declareAndActivate(admin, 'Boiler sensor');
    thingName = sensor.device.thingName;
    foreignThing = (await declareAndActivate(elsewhere, 'Their sensor')).device.thingName;
    device = await connectMqtt(platform, sensor);
  });
  afterAll(async () => {
    await device?.endAsync();
    await platform?.destroy();
    await receiver?.stop();
  });

  describe('store_telemetry, the default rule', () => {
    it('is every workspace\'s first rule, shown like any other', async () => {
      for (const api of [admin, elsewhere]) {
        const listed = await api.get<TopicRuleList>('/api/v1/rules');
        expect(listed.status).toBe(200);
        expect(listed.body.items.find((rule) => rule.name === 'store_telemetry')).toMatchObject({
          sql: "SELECT * FROM 'telemetry/#'",
          actions: [{ telemetryTable: {} }],
          ruleDisabled: false,
          awsIotSqlVersion: '2016-03-23',
          topicFilter: 'telemetry/#',
        });
      }
    });

    it('stores a message before its PUBACK; disabled, it stores nothing; its SQL decides what is stored', async () => {
      await publish({ temperature: 30, humidity: 40 });
      expect((await telemetry()).map((item) => item.payload)).toEqual([{ temperature: 30, humidity: 40 }]);

      expect((await admin.post<TopicRule>('/api/v1/rules/store_telemetry/disable')).body.ruleDisabled).toBe(true);
      await publish({ temperature: 31 });
      expect(await telemetry()).toHaveLength(1);

      const replaced = await admin.put<TopicRule>('/api/v1/rules/store_telemetry', {
        sql: "SELECT temperature, topic(2) AS thing FROM 'telemetry/+' WHERE temperature > 20",
        actions: [{ telemetryTable: {} }],
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ ruleDisabled: false, topicFilter: 'telemetry/+' });
      await publish({ temperature: 25, humidity: 50 });
      await publish({ temperature: 10, humidity: 50 });
      expect((await telemetry()).map((item) => item.payload)).toEqual([{ temperature: 30, humidity: 40 }, { temperature: 25, thing: thingName }]);

      await admin.put('/api/v1/rules/store_telemetry', { sql: "SELECT * FROM 'telemetry/#'", actions: [{ telemetryTable: {} }] });
    });
  });

  describe('saving', () => {
    it('refuses SQL and templates the hub cannot run, with where, and keeps nothing of them', async () => {
      const badSql = await admin.post<ErrorEnvelope>('/api/v1/rules', { name: 'bad_sql', sql: "SELECT temperature\nFORM 'telemetry/+'", actions: [{ republish: { topic: 'things/x/y' } }] });
      expect(badSql.status).toBe(400);
      expect(badSql.body.error.details).toEqual([expect.objectContaining({ path: ['sql'], position: expect.objectContaining({ line: 2, column: 1 }) })]);

      const unknownFunction = await admin.post<ErrorEnvelope>('/api/v1/rules', { name: 'bad_fn', sql: "SELECT nosuch(temperature) FROM 'telemetry/+'", actions: [{ republish: { topic: 'things/x/y' } }] });
      expect(unknownFunction.status).toBe(400);
      expect(JSON.stringify(unknownFunction.body.error.details)).toMatch(/nosuch/);

      const badTemplate = await admin.post<ErrorEnvelope>('/api/v1/rules', { name: 'bad_template', sql: "SELECT * FROM 'telemetry/+'", actions: [{ republish: { topic: 'things/${topic(2/x' } }] });
      expect(badTemplate.status).toBe(400);
      expect(badTemplate.body.error.details).toEqual([expect.objectContaining({ path: ['actions', 0, 'republish', 'topic'] })]);

      const tableElsewhere = await admin.post<ErrorEnvelope>('/api/v1/rules', { name: 'bad_table', sql: "SELECT * FROM 'things/+/status'", actions: [{ telemetryTable: {} }] });
      expect(tableElsewhere.status).toBe(400);
      expect(tableElsewhere.body.error.message).toMatch(/telemetry topics only/);

      const names = (await admin.get<TopicRuleList>('/api/v1/rules')).body.items.map((rule) => rule.name);
      expect(names).not.toEqual(expect.arrayContaining(['bad_sql']));
      expect(names.filter((name) => name.startsWith('bad_'))).toEqual([]);
    });

    it('keeps rules to their workspace and their writing to its admins', async () => {
      await createRule({ name: 'ours', sql: "SELECT * FROM 'things/+/status'", actions: [{ http: { url: `${receiver.url}/ours` } }] });
      expect((await admin.post('/api/v1/rules', { name: 'ours', sql: "SELECT * FROM 'things/+/status'", actions: [{ http: { url: `${receiver.url}/ours` } }] })).status).toBe(409);
      expect((await dora.get<TopicRule>('/api/v1/rules/ours')).status).toBe(200);
      expect((await dora.post('/api/v1/rules/ours/disable')).status).toBe(403);
      expect((await dora.delete('/api/v1/rules/ours')).status).toBe(403);
      expect((await elsewhere.get('/api/v1/rules/ours')).status).toBe(404);
      expect((await elsewhere.delete('/api/v1/rules/ours')).status).toBe(404);
      expect((await admin.delete('/api/v1/rules/ours')).status).toBe(204);
      expect((await admin.get('/api/v1/rules/ours')).status).toBe(404);
    });
  });

  describe('actions', () => {
    it('republishes to an application topic of a thing of the workspace', async () => {
      await createRule({ name: 'echo', sql: "SELECT temperature AS t, clientid() AS who FROM 'telemetry/+' WHERE temperature > 100", actions: [{ republish: { topic: 'things/${topic(2)}/echo', qos: 1 } }] });
      await device.subscribeAsync(`things/${thingName}/echo`, { qos: 1 });
      const echoed = new Promise<string>((resolve) => device.once('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)));
      await publish({ temperature: 120 });
      expect(await echoed).toBe(`things/${thingName}/echo ${JSON.stringify({ t: 120, who: thingName })}`);
      await admin.delete('/api/v1/rules/echo');
    });

    it('never republishes into another workspace: the error action gets the reason', async () => {
      await createRule({
        name: 'intrude',
        sql: "SELECT temperature FROM 'telemetry/+' WHERE temperature = 666",
        actions: [{ republish: { topic: `things/${foreignThing}/commands` } }],
        errorAction: { http: { url: `${receiver.url}/intrude-errors` } },
      });
      await publish({ temperature: 666 });
      const [report] = await eventually(() => receiver.at('/intrude-errors'), (list) => list.length > 0);
      const body = JSON.parse(report?.body ?? '{}') as RuleErrorMessage;
      expect(body).toMatchObject({ ruleName: 'intrude', topic: `telemetry/${thingName}`, clientId: thingName });
      expect(body.failures).toEqual([expect.objectContaining({ failedAction: 'RepublishAction', attempts: 1, errorMessage: expect.stringMatching(/no thing .* in this workspace/) })]);
      expect(JSON.parse(Buffer.from(body.base64OriginalPayload, 'base64').toString('utf8'))).toEqual({ temperature: 666 });
      await admin.delete('/api/v1/rules/intrude');
    });

    it('updates a shadow with the document the SELECT builds', async () => {
      await createRule({ name: 'mirror', sql: "SELECT {'state': {'reported': {'boiler': temperature}}} FROM 'telemetry/+' WHERE temperature < 0", actions: [{ shadow: {} }] });
      await publish({ temperature: -4 });
      const shadow = await eventually(
        async () => (await admin.get<{ state?: { reported?: Record<string, unknown> } }>(`/api/v1/things/${thingName}/shadow`)).body,
        (body) => body.state?.reported?.boiler !== undefined,
      );
      expect(shadow.state?.reported).toEqual({ boiler: -4 });
      await admin.delete('/api/v1/rules/mirror');
    });

    it('POSTs signed JSON, one topic in arrival order, retrying with back-off', async () => {
      let failuresLeft = 2;
      receiver.answers.set('/flaky', () => (failuresLeft-- > 0 ? 503 : 204));
      const rule = await createRule({
        name: 'forward',
        sql: "SELECT seq FROM 'telemetry/+' WHERE isUndefined(seq) = false",
        actions: [{ http: { url: `${receiver.url}/flaky`, headers: [{ key: 'x-thing', value: '${topic(2)}' }] } }],
      });
      for (const seq of [1, 2, 3, 4, 5]) await publish({ seq });
      const delivered = await eventually(() => receiver.at('/flaky'), (list) => list.length >= 7);
      expect(delivered.map((request) => JSON.parse(request.body) as { seq: number })).toEqual([{ seq: 1 }, { seq: 1 }, { seq: 1 }, { seq: 2 }, { seq: 3 }, { seq: 4 }, { seq: 5 }]);
      for (const request of delivered) {
        const [t, v1] = (request.signature ?? '').split(',').map((part) => part.split('=')[1]);
        expect(v1).toBe(createHmac('sha256', rule.signingSecret).update(`${t}.${request.body}`).digest('hex'));
        expect(request.headers['x-thing']).toBe(thingName);
      }
      await admin.delete('/api/v1/rules/forward');
    });

    it('gives up after its tries and sends the failure to the error action', async () => {
      receiver.answers.set('/down', () => 500);
      await createRule({
        name: 'doomed',
        sql: "SELECT * FROM 'telemetry/+' WHERE doomed = true",
        actions: [{ http: { url: `${receiver.url}/down` } }],
        errorAction: { http: { url: `${receiver.url}/doomed-errors` } },
      });
      await publish({ doomed: true });
      const [report] = await eventually(() => receiver.at('/doomed-errors'), (list) => list.length > 0);
      expect(receiver.at('/down')).toHaveLength(3);
      expect((JSON.parse(report?.body ?? '{}') as RuleErrorMessage).failures).toEqual([
        { failedAction: 'HttpAction', failedResource: receiver.url, errorMessage: expect.stringMatching(/answered 500/), attempts: 3 },
      ]);
      await admin.delete('/api/v1/rules/doomed');
    });

    it('holds up neither the PUBACK nor other devices while an endpoint is slow', async () => {
      const other = await declareAndActivate(admin, 'Porch sensor');
      const porch = await connectMqtt(platform, other);
      let release = (): void => undefined;
      const slow = new Promise<number>((resolve) => (release = () => resolve(204)));
      receiver.answers.set(`/slow/${thingName}`, () => slow);
      await createRule({ name: 'fanout', sql: "SELECT * FROM 'telemetry/+' WHERE fan = 1", actions: [{ http: { url: `${receiver.url}/slow/` + '${topic(2)}' } }] });
      try {
        const started = Date.now();
        await publish({ fan: 1 });
        expect(Date.now() - started).toBeLessThan(1_000);
        await porch.publishAsync(`telemetry/${other.device.thingName}`, JSON.stringify({ fan: 1 }), { qos: 1 });
        const passed = await eventually(() => receiver.at(`/slow/${other.device.thingName}`), (list) => list.length > 0);
        expect(passed).toHaveLength(1);
        expect(receiver.at(`/slow/${thingName}`)).toHaveLength(0);
      } finally {
        release();
        await porch.endAsync();
      }
      expect(await eventually(() => receiver.at(`/slow/${thingName}`), (list) => list.length > 0)).toHaveLength(1);
      await admin.delete('/api/v1/rules/fanout');
    });
  });
});

describe('topic rules by default (CITUS_RULE_HTTP_PRIVATE=deny)', () => {
  let platform: TestPlatform;
  afterAll(() => platform?.destroy());

  it('refuses an http action to a loopback or private address when the rule is saved', async () => {
    platform = await bootTestPlatform();
    const { admin } = await workspacePeople(platform);
    for (const url of ['http://127.0.0.1:8080/internal/v1/x', 'http://localhost:9/x', 'https://10.0.0.7/hook', 'https://[::1]/hook']) {
      const refused = await admin.post<ErrorEnvelope>('/api/v1/rules', { name: 'inward', sql: "SELECT * FROM 'telemetry/+'", actions: [{ http: { url } }] });
      expect([url, refused.status]).toEqual([url, 400]);
      expect(refused.body.error.details).toEqual([expect.objectContaining({ path: ['actions', 0, 'http', 'url'], message: expect.stringMatching(/is not a public address/) })]);
    }
    const asErrorAction = await admin.post<ErrorEnvelope>('/api/v1/rules', {
      name: 'inward',
      sql: "SELECT * FROM 'telemetry/+'",
      actions: [{ republish: { topic: 'things/${topic(2)}/x' } }],
      errorAction: { http: { url: 'https://169.254.169.254/latest' } },
    });
    expect(asErrorAction.status).toBe(400);
    expect((await admin.get('/api/v1/rules/inward')).status).toBe(404);
  });
});

