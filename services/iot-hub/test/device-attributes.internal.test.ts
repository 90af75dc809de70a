import { SERVICE_TOKEN_HEADER, type DeclaredDevice, type ErrorEnvelope, type WorkspaceList } from '@citus/contracts';
import { remoteDeviceAttributes } from '../src/adapters/http/device-registry.client.js';
import { deviceAttributesContract, type DeviceAttributesHarness } from './support/device-attributes.contract.js';
// The real platform and the registry's own service, as the launcher wires them (test-only cross-service imports).
import { bootTestPlatform, workspacePeople, type Api, type TestPlatform } from '../../embedded/test/support/test-platform.js';
import { deviceFixture, OTHER_WORKSPACE, removeTestCa, WORKSPACE, type DeviceFixture } from '../../device-lifecycle/test/support/device-fixture.js';

// Devices' metadata for dynamic thing groups, through both adapters of the hub's DeviceAttributes:
// the registry's DeviceService in process (the embedded mode), and the hub's client of the
// registry's internal route over real HTTP (a hub apart from the registry).
const TOKEN = 'device-attributes-test-token-0123456789abcdef';

describe("the registry's DeviceService, in the hub's process", () => {
  let fx: DeviceFixture;
  beforeEach(async () => {
    fx = await deviceFixture();
  });
  afterEach(() => fx.destroy());
  afterAll(() => removeTestCa());

  deviceAttributesContract('in process', (): DeviceAttributesHarness => ({
    attributes: fx.service,
    workspaceIds: { mine: WORKSPACE, theirs: OTHER_WORKSPACE },
    declare: async (workspace, request) => (await fx.service.declare(workspace === 'mine' ? WORKSPACE : OTHER_WORKSPACE, request)).thingName,
  }));
});

describe("the registry's thing-attributes route and the hub's client of it", () => {
  let platform: TestPlatform;
  let apis: { mine: Api; theirs: Api };
  let workspaceIds: { mine: string; theirs: string };

  beforeAll(async () => {
    platform = await bootTestPlatform({ CITUS_SERVICE_TOKEN: TOKEN });
    const { admin, elsewhere } = await workspacePeople(platform);
    apis = { mine: admin, theirs: elsewhere };
    // The platform admin is listed every workspace, "other" too (it is no member of it).
    const workspaces = (await admin.get<WorkspaceList>('/api/v1/workspaces')).body.items;
    const idOf = (slug: string) => workspaces.find((workspace) => workspace.slug === slug)?.id ?? '';
    workspaceIds = { mine: idOf('default'), theirs: idOf('other') };
  });
  afterAll(async () => {
    await platform?.destroy();
  });

  deviceAttributesContract('over the internal API', (): DeviceAttributesHarness => ({
    attributes: remoteDeviceAttributes({ url: platform.baseUrl, serviceToken: TOKEN }),
    workspaceIds,
    declare: async (workspace, request) => {
      const declared = await apis[workspace].post<DeclaredDevice>('/api/v1/devices', request);
      expect(declared.status).toBe(201);
      return declared.body.thingName;
    },
  }));

  const ask = async (body: unknown, token: string | null = TOKEN) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers[SERVICE_TOKEN_HEADER] = token;
    const response = await fetch(`${platform.baseUrl}/internal/v1/thing-attributes`, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('answers holders of the service token only', async () => {
    const thingName = (await apis.mine.post<DeclaredDevice>('/api/v1/devices', { name: 'Secret meter', type: 'meter' })).body.thingName;
    expect(await ask({ workspaceId: workspaceIds.mine, thingNames: [thingName] })).toEqual({
      status: 200,
      body: { items: [{ thingName, attributes: { name: 'Secret meter', type: 'meter' } }] },
    });
    for (const token of [null, 'x'.repeat(40)]) {
      const refused = await ask({ workspaceId: workspaceIds.mine, thingNames: [thingName] }, token);
      expect([refused.status, (refused.body as ErrorEnvelope).error.code]).toEqual([403, 'forbidden']);
    }
  });

  it('refuses what is not a workspace and a bounded list of thing names (400)', async () => {
    for (const bad of [
      { workspaceId: workspaceIds.mine, thingNames: ['bad name'] },
      { workspaceId: workspaceIds.mine, thingNames: Array.from({ length: 501 }, (_, index) => `thing-${index}`) },
      { workspaceId: '', thingNames: [] },
      { thingNames: [] },
      { workspaceId: workspaceIds.mine, thingNames: [], extra: true },
    ]) {
      const refused = await ask(bad);
      expect([refused.status, (refused.body as ErrorEnvelope).error.code]).toEqual([400, 'bad_request']);
    }
  });

  it('is unavailable, naming the registry, to a hub with another service token', async () => {
    const wrong = remoteDeviceAttributes({ url: platform.baseUrl, serviceToken: 'y'.repeat(40) });
    await expect(wrong.attributesOf(workspaceIds.mine, ['any-thing'])).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('the device registry') });
  });
});
