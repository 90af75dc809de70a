import { MAX_CONNECTIVITY_BATCH, SERVICE_TOKEN_HEADER, type Device, type ErrorEnvelope, type Me } from '@citus/contracts';
import type { AppError } from '@citus/kit';
import type { MqttClient } from 'mqtt';
import { remoteConnectivity } from '../src/adapters/http/hub-connectivity.client.js';
// The real platform, as the launcher mounts it (test-only cross-service imports).
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from '../../embedded/test/support/test-platform.js';
import { connectMqtt } from '../../embedded/test/support/devices.js';

// What the device registry asks of the hub when the two run apart: the hub's connectivity route
// through real HTTP on the real platform, and the registry's adapter against it.
const TOKEN = 'hub-connectivity-test-token-0123456789abcdef';
const OTHER_WORKSPACE = 'ws_not_this_one';

let platform: TestPlatform;
let admin: Api;
let workspaceId: string;
let online: ActivatedDevice;
let offline: ActivatedDevice;
let client: MqttClient;

beforeAll(async () => {
  platform = await bootTestPlatform({ CITUS_SERVICE_TOKEN: TOKEN });
  admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
  workspaceId = (await admin.get<Me>('/api/v1/me')).body.memberships[0]!.workspaceId;
  online = await declareAndActivate(admin, 'online sensor');
  offline = await declareAndActivate(admin, 'never connected');
  client = await connectMqtt(platform, online);
});
afterAll(async () => {
  await client?.endAsync();
  await platform?.destroy();
});

async function connectivity(body: unknown, token: string | null = TOKEN): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers[SERVICE_TOKEN_HEADER] = token;
  const response = await fetch(`${platform.baseUrl}/internal/v1/connectivity`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as unknown };
}

const names = () => [online.device.thingName, offline.device.thingName, 'no-such-thing'];

describe("the hub's connectivity route", () => {
  it('answers holders of the service token only', async () => {
    for (const token of [null, 'x'.repeat(40)]) {
      const refused = await connectivity({ workspaceId, thingNames: names() }, token);
      expect([refused.status, (refused.body as ErrorEnvelope).error.code]).toEqual([403, 'forbidden']);
    }
  });

  it("answers the workspace's things the hub has seen, as presence knows them", async () => {
    const answer = await connectivity({ workspaceId, thingNames: names() });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ items: [{ thingName: online.device.thingName, connectivity: { connected: true, timestamp: expect.any(Number) } }] });
  });

  it("leaves out another workspace's things, and refuses what is not a list of thing names", async () => {
    expect(await connectivity({ workspaceId: OTHER_WORKSPACE, thingNames: names() })).toEqual({ status: 200, body: { items: [] } });
    for (const bad of [
      { workspaceId, thingNames: ['bad name'] },
      { workspaceId, thingNames: Array.from({ length: MAX_CONNECTIVITY_BATCH + 1 }, (_, index) => `thing-${index}`) },
      { thingNames: names() },
      { workspaceId, thingNames: names(), extra: true },
    ]) {
      expect((await connectivity(bad)).status).toBe(400);
    }
  });
});

describe("the registry's remote connectivity", () => {
  it('matches what the registry answers in process, for a list longer than one request', async () => {
    const remote = remoteConnectivity({ url: platform.baseUrl, serviceToken: TOKEN });
    const filler = Array.from({ length: MAX_CONNECTIVITY_BATCH + 20 }, (_, index) => `filler-${index}`);
    const found = await remote.connectivityIn(workspaceId, [...filler, ...names()]);
    const listed = (await admin.get<{ items: Device[] }>('/api/v1/devices')).body.items;
    const inProcess = new Map(listed.map((device) => [device.thingName, device.connectivity]));
    expect([...found.keys()]).toEqual([online.device.thingName]);
    expect(found.get(online.device.thingName)).toEqual(inProcess.get(online.device.thingName));
    expect(inProcess.get(offline.device.thingName)).toEqual({ connected: false });
    expect((await remote.connectivityIn(OTHER_WORKSPACE, names())).size).toBe(0);
  });

  it('fails as unavailable, naming the hub, when it refuses the token or cannot be reached', async () => {
    const unavailable = (pattern: RegExp) => expect.objectContaining({ code: 'unavailable', message: expect.stringMatching(pattern) }) as AppError;
    const wrongToken = remoteConnectivity({ url: platform.baseUrl, serviceToken: 'y'.repeat(40) });
    await expect(wrongToken.connectivityIn(workspaceId, names())).rejects.toEqual(unavailable(/^the hub at .* refused this process's service token/));
    const closed = remoteConnectivity({ url: 'http://127.0.0.1:9', serviceToken: TOKEN, timeoutMs: 2_000 });
    await expect(closed.connectivityIn(workspaceId, names())).rejects.toEqual(unavailable(/^the hub cannot be reached at http:\/\/127\.0\.0\.1:9/));
  });
});
