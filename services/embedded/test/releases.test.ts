import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeSigningKey, DownloadLink, ErrorEnvelope, Release, ReleaseEventPage, ReleaseList } from '@citus/contracts';
import { checkRelease } from '@citus/device-agent';
import { eventually } from './support/eventually.js';
import { Api, bootTestPlatform, declareAndActivate, defaultWorkspaceId, workspacePeople, type TestPlatform } from './support/test-platform.js';

const IMAGE = `registry.example/acme/gateway-agent:2.1.0@sha256:${'ab'.repeat(32)}`;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Checks a release as citus-device does (the device agent's own check): signature, key, and for an artifact its bytes. */
function signatureHolds(key: CodeSigningKey, workspaceId: string, release: Release, bytes?: Buffer): boolean {
  if (!release.signature || !release.sha256) return false;
  const downloaded = bytes && { sha256: sha256(bytes), size: bytes.length };
  return checkRelease({ ...release, workspaceId, sha256: release.sha256, signature: release.signature }, key, downloaded ?? { sha256: release.sha256, size: release.size ?? 0 }).ok;
}

describe('software releases (issue 6 point 1)', () => {
  let platform: TestPlatform;
  let admin: Api;
  let elsewhere: Api;
  let dora: Api;
  let workspaceId: string;

  const upload = (api: Api, releaseId: string, bytes: Buffer | ReadableStream<Uint8Array>, contentType = 'application/octet-stream') =>
    fetch(`${api.baseUrl}/api/v1/releases/${releaseId}/artifact`, {
      method: 'PUT',
      headers: { ...api.credentials, 'content-type': contentType },
      // A stream goes out chunked, with no length declared: the platform has to count it.
      body: Buffer.isBuffer(bytes) ? new Uint8Array(bytes) : bytes,
      duplex: 'half',
    } as RequestInit);
  const createArtifactRelease = async (version: string) => {
    const created = await admin.post<Release>('/api/v1/releases', { kind: 'artifact', version, notes: 'Fixes the boiler valve timing' });
    expect(created.status).toBe(201);
    return created.body;
  };

  beforeAll(async () => {
    platform = await bootTestPlatform({ CITUS_RELEASE_MAX_MB: '1' });
    ({ admin, elsewhere, dora } = await workspacePeople(platform));
    workspaceId = await defaultWorkspaceId(admin);
  });
  afterAll(async () => {
    await platform?.destroy();
  });

  it('takes an artifact once, hashes and signs it, and serves the same bytes back', async () => {
    const release = await createArtifactRelease('1.4.0');
    expect(release).toMatchObject({ kind: 'artifact', version: '1.4.0', status: 'awaiting-artifact' });
    expect(release.signature).toBeUndefined();

    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const uploaded = await upload(admin, release.releaseId, bytes);
    expect(uploaded.status).toBe(200);
    const ready = (await uploaded.json()) as Release;
    expect(ready).toMatchObject({ status: 'ready', sha256: sha256(bytes), size: bytes.length, signature: { algorithm: 'Ed25519' } });

    const key = (await admin.get<CodeSigningKey>('/api/v1/code-signing-key')).body;
    expect(ready.signature?.keyId).toBe(key.keyId);
    expect(signatureHolds(key, workspaceId, ready, bytes)).toBe(true);
    expect(signatureHolds(key, workspaceId, ready, Buffer.concat([bytes.subarray(0, -1), Buffer.from([7])]))).toBe(false);
    // The signature binds the workspace, the version and the hash: change any and it fails.
    expect(signatureHolds(key, 'ws_another', ready)).toBe(false);
    expect(signatureHolds(key, workspaceId, { ...ready, version: '1.4.1' })).toBe(false);
    expect(signatureHolds(key, workspaceId, { ...ready, sha256: sha256(Buffer.from('tampered')) })).toBe(false);

    const download = await fetch(`${admin.baseUrl}/api/v1/releases/${release.releaseId}/artifact`, { headers: dora.credentials });
    expect(download.status).toBe(200);
    expect(download.headers.get('x-citus-sha256')).toBe(sha256(bytes));
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    const again = await upload(admin, release.releaseId, Buffer.from('other bytes'));
    expect(again.status).toBe(409);
    expect(((await admin.get<Release>(`/api/v1/releases/${release.releaseId}`)).body).sha256).toBe(sha256(bytes));
  });

  it('refuses a second upload while one is under way, so the signed bytes cannot be replaced', async () => {
    const release = await createArtifactRelease('9.0.0');
    let finish = (): void => undefined;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const slow = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(Buffer.from('first '));
        await gate;
        controller.enqueue(Buffer.from('bytes'));
        controller.close();
      },
    });
    const first = upload(admin, release.releaseId, slow);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await upload(admin, release.releaseId, Buffer.from('EVIL firmware'));
    expect(second.status).toBe(409);
    // A second release of the workspace may upload beside it; a third upload at once is one too many.
    const other = await createArtifactRelease('9.0.1');
    let finishOther = (): void => undefined;
    const otherGate = new Promise<void>((resolve) => (finishOther = resolve));
    const otherUpload = upload(admin, other.releaseId, new ReadableStream<Uint8Array>({ async start(controller) { controller.enqueue(Buffer.from('x')); await otherGate; controller.close(); } }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const third = await createArtifactRelease('9.0.2');
    expect((await upload(admin, third.releaseId, Buffer.from('y'))).status).toBe(429);
    finishOther();
    expect((await otherUpload).status).toBe(200);
    expect((await upload(admin, third.releaseId, Buffer.from('y'))).status).toBe(200);
    finish();
    const done = await first;
    expect(done.status).toBe(200);
    const download = await fetch(`${admin.baseUrl}/api/v1/releases/${release.releaseId}/artifact`, { headers: admin.credentials });
    expect(Buffer.from(await download.arrayBuffer()).toString()).toBe('first bytes');
    expect(download.headers.get('x-citus-sha256')).toBe(sha256(Buffer.from('first bytes')));
  });

  it('signs a container release, pinned by digest, at once', async () => {
    const created = await admin.post<Release>('/api/v1/releases', { kind: 'container', version: '2.1.0', image: IMAGE });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'ready', image: IMAGE, sha256: 'ab'.repeat(32) });
    const key = (await admin.get<CodeSigningKey>('/api/v1/code-signing-key')).body;
    expect(signatureHolds(key, workspaceId, created.body)).toBe(true);
    expect((await upload(admin, created.body.releaseId, Buffer.from('x'))).status).toBe(409);
  });

  it('refuses what it cannot take, with the reason, and keeps nothing of it', async () => {
    const tagOnly = await admin.post<ErrorEnvelope>('/api/v1/releases', { kind: 'container', version: '3.0.0', image: 'acme/agent:latest' });
    expect(tagOnly.status).toBe(400);
    expect(JSON.stringify(tagOnly.body.error)).toMatch(/pinned by digest/);
    expect((await admin.post('/api/v1/releases', { kind: 'artifact', version: '../etc' })).status).toBe(400);
    expect((await admin.post('/api/v1/releases', { kind: 'artifact', version: '1.0.0', extra: true })).status).toBe(400);

    await createArtifactRelease('5.0.0');
    expect((await admin.post('/api/v1/releases', { kind: 'artifact', version: '5.0.0' })).status).toBe(409);

    const big = await createArtifactRelease('6.0.0');
    const tooLarge = await upload(admin, big.releaseId, Buffer.alloc(1024 * 1024 + 1));
    expect(tooLarge.status).toBe(413);
    const chunks = Array.from({ length: 17 }, () => new Uint8Array(64 * 1024));
    const undeclared = await upload(admin, big.releaseId, new ReadableStream({ pull: (controller) => (chunks.length > 0 ? controller.enqueue(chunks.pop()) : controller.close()) }));
    expect(undeclared.status).toBe(413);
    const wrongType = await upload(admin, big.releaseId, Buffer.from('{}'), 'application/json');
    expect(wrongType.status).toBe(400);
    const empty = await upload(admin, big.releaseId, Buffer.alloc(0));
    expect([empty.status, JSON.stringify(await empty.json())]).toEqual([400, expect.stringMatching(/empty/)]);
    expect((await admin.get<Release>(`/api/v1/releases/${big.releaseId}`)).body.status).toBe('awaiting-artifact');
    expect((await fetch(`${admin.baseUrl}/api/v1/releases/${big.releaseId}/artifact`, { headers: admin.credentials })).status).toBe(409);
    // Nothing of the refused uploads stayed behind.
    expect(readdirSync(join(platform.dataDir, 'blobs', '.partial'))).toEqual([]);
  });

  it('lets members read and only developers and admins make releases; another workspace sees none', async () => {
    const release = await createArtifactRelease('7.0.0');
    expect((await dora.post('/api/v1/releases', { kind: 'artifact', version: '7.0.1' })).status).toBe(403);
    expect((await upload(dora, release.releaseId, Buffer.from('x'))).status).toBe(403);
    expect((await dora.get<ReleaseList>('/api/v1/releases')).body.items.map((item) => item.version)).toContain('7.0.0');

    expect((await elsewhere.get(`/api/v1/releases/${release.releaseId}`)).status).toBe(404);
    expect((await upload(elsewhere, release.releaseId, Buffer.from('x'))).status).toBe(404);
    expect((await elsewhere.get<ReleaseList>('/api/v1/releases')).body.items).toEqual([]);
    // Each workspace signs with a key of its own.
    const ours = (await admin.get<CodeSigningKey>('/api/v1/code-signing-key')).body;
    const theirs = (await elsewhere.get<CodeSigningKey>('/api/v1/code-signing-key')).body;
    expect(theirs.keyId).not.toBe(ours.keyId);
    expect((await new Api(admin.baseUrl).get('/api/v1/releases')).status).toBe(401);
  });

  it("gives one device a short-lived link to a ready artifact, which opens without an account and for no one else", async () => {
    const release = await createArtifactRelease('8.0.0');
    const bytes = Buffer.from('firmware 8.0.0');
    expect((await upload(admin, release.releaseId, bytes)).status).toBe(200);
    const sensor = await declareAndActivate(admin, 'Boiler sensor');
    const foreign = await declareAndActivate(elsewhere, 'Their sensor');

    const created = await admin.post<DownloadLink>(`/api/v1/releases/${release.releaseId}/download-links`, { thingName: sensor.device.thingName, expiresInSec: 600 });
    expect(created.status).toBe(201);
    expect(created.body.path).toMatch(/^\/api\/v1\/release-downloads\/[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(Date.parse(created.body.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    const download = await fetch(`${admin.baseUrl}${created.body.path}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    // An altered token opens nothing; nor does a link asked for a thing of another workspace, a user, or a container release.
    const altered = created.body.path.slice(0, -3) + (created.body.path.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await fetch(`${admin.baseUrl}${altered}`)).status).toBe(404);
    expect((await admin.post(`/api/v1/releases/${release.releaseId}/download-links`, { thingName: foreign.device.thingName })).status).toBe(404);
    expect((await dora.post(`/api/v1/releases/${release.releaseId}/download-links`, { thingName: sensor.device.thingName })).status).toBe(403);
    expect((await admin.post(`/api/v1/releases/${release.releaseId}/download-links`, { thingName: sensor.device.thingName, expiresInSec: 7200 })).status).toBe(400);
    const container = await admin.post<Release>('/api/v1/releases', { kind: 'container', version: '8.0.0', image: IMAGE });
    expect((await admin.post(`/api/v1/releases/${container.body.releaseId}/download-links`, { thingName: sensor.device.thingName })).status).toBe(409);

    // Once the thing is deleted, its link opens nothing.
    expect((await admin.delete(`/api/v1/devices/${sensor.device.id}`)).status).toBe(204);
    expect((await fetch(`${admin.baseUrl}${created.body.path}`)).status).toBe(404);
  });

  it("keeps each release's history: who created it, failed uploads, ready, and each device's download", async () => {
    const release = await createArtifactRelease('12.0.0');
    expect((await upload(admin, release.releaseId, Buffer.alloc(0))).status).toBe(400);
    const bytes = Buffer.from('firmware 12.0.0');
    const ready = (await (await upload(admin, release.releaseId, bytes)).json()) as Release;
    const sensor = await declareAndActivate(admin, 'Valve sensor');
    const link = await admin.post<DownloadLink>(`/api/v1/releases/${release.releaseId}/download-links`, { thingName: sensor.device.thingName });
    const downloaded = await fetch(`${admin.baseUrl}${link.body.path}`);
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(bytes)).toBe(true);
    // Recorded once the whole artifact went out, just after the response ended; a second download is not recorded again.
    const events = () => dora.get<ReleaseEventPage>(`/api/v1/releases/${release.releaseId}/events`);
    await eventually(events, (answer) => answer.body.items.length === 4);
    await (await fetch(`${admin.baseUrl}${link.body.path}`)).arrayBuffer();
    const history = await events();
    expect(history.status).toBe(200);
    expect(history.body.items.map(({ type, actor, thingName }) => ({ type, actor, thingName }))).toEqual([
      { type: 'release.created', actor: 'admin', thingName: undefined },
      { type: 'release.upload-failed', actor: 'admin', thingName: undefined },
      { type: 'release.ready', actor: 'admin', thingName: undefined },
      { type: 'release.downloaded', actor: undefined, thingName: sensor.device.thingName },
    ]);
    expect(history.body.items[1]?.detail).toMatch(/empty/);
    expect(history.body.items[2]?.detail).toBe(`${bytes.length} bytes, SHA-256 ${ready.sha256}, signed with key ${ready.signature?.keyId}`);
    const page = await admin.get<ReleaseEventPage>(`/api/v1/releases/${release.releaseId}/events?limit=2`);
    expect(page.body.items).toEqual(history.body.items.slice(0, 2));
    expect((await admin.get<ReleaseEventPage>(`/api/v1/releases/${release.releaseId}/events?after=${page.body.next}`)).body.items).toEqual(history.body.items.slice(2));
    expect((await elsewhere.get(`/api/v1/releases/${release.releaseId}/events`)).status).toBe(404);
    expect((await admin.get(`/api/v1/releases/${release.releaseId}/events?limit=0`)).status).toBe(400);
  });

  it('keeps each signing key in the data dir, readable by the platform only', () => {
    const dir = join(platform.dataDir, 'signing');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, `${workspaceId}.pem`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'download-links.key')).mode & 0o777).toBe(0o600);
  });
});
