import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import { App, Deployment, RuleErrorMessage, type AppManifest, type CreatedTopicRule } from '@citus/contracts';
import { connectDocker } from '../../app-registry/src/adapters/docker/docker-connection.js';
import { DockerEngineRuntime } from '../../app-registry/src/adapters/docker/docker-engine.runtime.js';
import { ensureHookRecorderImage, HOOK_RECORDER_IMAGE, HOOK_RECORDER_PATH, waitFor } from '../../app-registry/test/support/test-image.js';
import { connectMqtt } from './support/devices.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type TestPlatform } from './support/test-platform.js';

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
const APP = 'recorder';
const SQL = "SELECT temperature, topic(2) AS thing FROM 'telemetry/+' WHERE temperature > 50";

const manifest: Partial<AppManifest> = {
  name: APP,
  version: '1.0.0',
  description: 'Logs what topic rules send it',
  category: 'utilities',
  image: HOOK_RECORDER_IMAGE,
  resources: { memoryMb: 64, cpuMillicores: 250 },
};

/** The error actions' receiver on 127.0.0.1 (plain HTTP is allowed for a loopback host): what each path got. */
class ErrorReceiver {
  readonly bodies = new Map<string, string[]>();
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      this.bodies.set(path, [...this.at(path), Buffer.concat(chunks).toString('utf8')]);
      res.writeHead(204).end();
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  at(path: string): string[] {
    return this.bodies.get(path) ?? [];
  }

  /** The one error message sent to `path`, once it came. */
  async report(path: string): Promise<RuleErrorMessage> {
    const [body] = await waitFor(async () => (this.at(path).length > 0 ? this.at(path) : undefined), `an error message at ${path}`, 10_000);
    expect(this.at(path)).toHaveLength(1);
    return RuleErrorMessage.parse(JSON.parse(body ?? ''));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** What the recorder logged: one `{signature, body}` per POST it took, in order. */
function hooksIn(logs: string): Array<{ signature: string; body: string }> {
  return [...logs.matchAll(/hook signature=(\S*) body=(.*)$/gm)].map((match) => ({ signature: match[1] ?? '', body: match[2] ?? '' }));
}

/** Whether `signature` (`t=..,v1=..`) is the HMAC-SHA256 of `${t}.${body}` under `secret`. */
function signedWith(secret: string, signature: string, body: string): boolean {
  const { t, v1 } = Object.fromEntries(signature.split(',').map((part) => part.split('=') as [string, string]));
  return v1 === createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

// Issue 4 point 3: a topic rule sends its result to an app deployed on the platform, on a real Docker engine.
describe("topic rules' app action", () => {
  const runtime = new DockerEngineRuntime(connectDocker(DOCKER_HOST));
  const devices: MqttClient[] = [];
  let platform: TestPlatform;
  let admin: Api;
  let bravo: Api;
  let receiver: ErrorReceiver;
  let appId: string;
  let deploymentId: string;
  let thingName: string;
  let device: MqttClient;
  let bravoThing: string;
  let bravoDevice: MqttClient;

  const hooks = async () => {
    const logs = await admin.get<string>(`/api/v1/deployments/${deploymentId}/logs`);
    expect(logs.status).toBe(200);
    return hooksIn(logs.body);
  };
  const createRule = async (api: Api, body: Record<string, unknown>) => {
    const created = await api.post<CreatedTopicRule>('/api/v1/rules', body);
    expect(created.status).toBe(201);
    return created.body;
  };
  const publish = (client: MqttClient, thing: string, payload: Record<string, unknown>) =>
    client.publishAsync(`telemetry/${thing}`, JSON.stringify(payload), { qos: 1 });

  beforeAll(async () => {
    ensureHookRecorderImage(DOCKER_HOST);
    receiver = new ErrorReceiver();
    await receiver.start();
    platform = await bootTestPlatform({ DOCKER_HOST, CITUS_APP_RUNTIME: 'docker', CITUS_RULE_RETRY_BASE_MS: '50', CITUS_RULE_ACTION_ATTEMPTS: '3', CITUS_RULE_HTTP_PRIVATE: 'allow' });
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    expect((await admin.post('/api/v1/workspaces', { slug: 'bravo', name: 'Bravo' })).status).toBe(201);
    bravo = admin.inWorkspace('bravo');

    const created = await admin.post<App>('/api/v1/apps', manifest);
    expect(created.status).toBe(201);
    appId = App.parse(created.body).id;
    expect((await admin.post(`/api/v1/apps/${appId}/versions/1.0.0/submit`)).status).toBe(200);
    expect((await admin.post(`/api/v1/apps/${appId}/versions/1.0.0/approve`)).status).toBe(200);
    const deployed = await admin.post<Deployment>(`/api/v1/apps/${appId}/deployments`, { version: '1.0.0' });
    expect(deployed.status).toBe(201);
    deploymentId = Deployment.parse(deployed.body).deploymentId;

    const sensor = await declareAndActivate(admin, 'Boiler sensor');
    thingName = sensor.device.thingName;
    device = await connectMqtt(platform, sensor);
    const theirs = await declareAndActivate(bravo, 'Their sensor');
    bravoThing = theirs.device.thingName;
    bravoDevice = await connectMqtt(platform, theirs);
    devices.push(device, bravoDevice);
    // Running means its /healthz answered: it takes requests.
    await waitFor(async () => ((await admin.get<Deployment>(`/api/v1/deployments/${deploymentId}`)).body.status === 'running' ? true : undefined), 'the recorder running');
  });

  afterAll(async () => {
    for (const client of devices) await client.endAsync();
    if (deploymentId) await admin.delete(`/api/v1/deployments/${deploymentId}`);
    if (appId) for (const name of await runtime.list({ 'citus.app': appId })) await runtime.remove(name);
    await platform?.destroy();
    await receiver?.stop();
  });

  it("POSTs the rule's result, signed, to the workspace's deployment of the app", async () => {
    const rule = await createRule(admin, {
      name: 'to_recorder',
      sql: SQL,
      actions: [{ app: { app: APP, path: HOOK_RECORDER_PATH } }],
      errorAction: { http: { url: `${receiver.url}/recorder-errors` } },
    });
    await publish(device, thingName, { temperature: 60 });
    await publish(device, thingName, { temperature: 10 });
    // One lane per topic, in arrival order: once 61 is in, 60's delivery and any error report are done.
    await publish(device, thingName, { temperature: 61 });
    const seen = await waitFor(async () => {
      const got = await hooks();
      return got.length >= 2 ? got : undefined;
    }, 'the recorder logging both POSTs');

    expect(seen.map((hook) => hook.body)).toEqual([JSON.stringify({ temperature: 60, thing: thingName }), JSON.stringify({ temperature: 61, thing: thingName })]);
    for (const hook of seen) {
      expect(hook.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(signedWith(rule.signingSecret, hook.signature, hook.body)).toBe(true);
    }
    expect(signedWith('another secret', seen[0]?.signature ?? '', seen[0]?.body ?? '')).toBe(false);
    expect(receiver.at('/recorder-errors')).toEqual([]);
    expect((await admin.delete('/api/v1/rules/to_recorder')).status).toBe(204);
  });

  it("sends AWS's error message to the error action when the workspace has no deployment of the app", async () => {
    await createRule(admin, {
      name: 'to_ghost',
      sql: SQL,
      actions: [{ app: { app: 'ghost', path: HOOK_RECORDER_PATH } }],
      errorAction: { http: { url: `${receiver.url}/ghost-errors` } },
    });
    await publish(device, thingName, { temperature: 70 });
    const report = await receiver.report('/ghost-errors');
    expect(report).toMatchObject({ ruleName: 'to_ghost', topic: `telemetry/${thingName}`, clientId: thingName });
    // Trying again cannot make a deployment appear: one attempt, not CITUS_RULE_ACTION_ATTEMPTS.
    expect(report.failures).toEqual([{ failedAction: 'AppAction', failedResource: 'ghost', errorMessage: expect.stringMatching(/no deployment/), attempts: 1 }]);
    expect(JSON.parse(Buffer.from(report.base64OriginalPayload, 'base64').toString('utf8'))).toEqual({ temperature: 70 });
    expect((await admin.delete('/api/v1/rules/to_ghost')).status).toBe(204);
  });

  it("keeps workspace A's deployment out of reach of workspace B's rules", async () => {
    const before = (await hooks()).length;
    await createRule(bravo, {
      name: 'to_their_recorder',
      sql: SQL,
      actions: [{ app: { app: APP, path: HOOK_RECORDER_PATH } }],
      errorAction: { http: { url: `${receiver.url}/bravo-errors` } },
    });
    await publish(bravoDevice, bravoThing, { temperature: 80 });
    const report = await receiver.report('/bravo-errors');
    expect(report).toMatchObject({ ruleName: 'to_their_recorder', topic: `telemetry/${bravoThing}`, clientId: bravoThing });
    expect(report.failures).toEqual([{ failedAction: 'AppAction', failedResource: APP, errorMessage: expect.stringMatching(/no deployment/), attempts: 1 }]);
    // A's deployment is up all along, and took nothing from B.
    expect((await admin.get<Deployment>(`/api/v1/deployments/${deploymentId}`)).body.status).toBe('running');
    expect(await hooks()).toHaveLength(before);
    expect((await bravo.delete('/api/v1/rules/to_their_recorder')).status).toBe(204);
  });
});
