import { SERVICE_TOKEN_HEADER, type Release } from '@citus/contracts';
import { AppError } from '@citus/kit';
import { remoteReleaseLinks } from '../src/adapters/http/device-registry.client.js';
// The real platform, as the launcher mounts it (test-only cross-service imports).
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate, defaultWorkspaceId, readyArtifactRelease, type TestPlatform } from '../../embedded/test/support/test-platform.js';

// What a hub apart from the registry asks it for a job document: a device's download link, over
// the registry's internal route on the real platform, through the hub's own client.
const TOKEN = 'release-links-test-token-0123456789abcdef';

describe("the registry's release link route and the hub's client of it", () => {
  let platform: TestPlatform;
  let admin: Api;
  let workspaceId: string;
  let thingName: string;
  let release: Release;

  beforeAll(async () => {
    platform = await bootTestPlatform({ CITUS_SERVICE_TOKEN: TOKEN });
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    workspaceId = await defaultWorkspaceId(admin);
    thingName = (await declareAndActivate(admin, 'Pump')).device.thingName;
    release = await readyArtifactRelease(admin, '3.1.0', Buffer.from('pump firmware 3.1.0'));
  });
  afterAll(async () => {
    await platform?.destroy();
  });

  it('makes a link the device downloads with, for holders of the service token only', async () => {
    const links = remoteReleaseLinks({ url: platform.baseUrl, serviceToken: TOKEN });
    const path = await links.linkFor(workspaceId, release.releaseId, thingName, 120);
    const download = await fetch(`${platform.baseUrl}${path}`);
    expect([download.status, Buffer.from(await download.arrayBuffer()).toString()]).toEqual([200, 'pump firmware 3.1.0']);

    const refused = await fetch(`${platform.baseUrl}/internal/v1/release-links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: 'y'.repeat(40) },
      body: JSON.stringify({ workspaceId, releaseId: release.releaseId, thingName, expiresInSec: 120 }),
    });
    expect(refused.status).toBe(403);
  });

  it("passes on the registry's refusals: a thing of another workspace, a release that is not there", async () => {
    const links = remoteReleaseLinks({ url: platform.baseUrl, serviceToken: TOKEN });
    await expect(links.linkFor('ws_elsewhere', release.releaseId, thingName, 120)).rejects.toMatchObject({ code: 'not_found' } satisfies Partial<AppError>);
    await expect(links.linkFor(workspaceId, 'rel_000000000000000000000000', thingName, 120)).rejects.toBeInstanceOf(AppError);
  });
});
