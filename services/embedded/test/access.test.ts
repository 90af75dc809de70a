import type { DeclaredDevice, Device, User, Workspace } from '@citus/contracts';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, type TestPlatform } from './support/test-platform.js';

// People's access: authentication, roles and workspace scoping, over the real HTTP API.
describe('access to the API', () => {
  let platform: TestPlatform;
  let admin: Api;
  let alice: Api; // a `user` in workspace "acme"
  let bob: Api; // a `user` in "default" only
  let acmeDevice: DeclaredDevice;

  const createUser = async (username: string) =>
    (await admin.post<User>('/api/v1/users', { username, password: `${username}-Passw0rd!` })).body;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const acme = await admin.post<Workspace>('/api/v1/workspaces', { slug: 'acme', name: 'Acme Corp' });
    expect(acme.status).toBe(201);
    const aliceUser = await createUser('alice');
    const bobUser = await createUser('bob');
    expect((await admin.put('/api/v1/workspaces/acme/members', { userId: aliceUser.id, role: 'user' })).status).toBe(200);
    expect((await admin.put('/api/v1/workspaces/default/members', { userId: bobUser.id, role: 'user' })).status).toBe(200);
    alice = await Api.login(platform.baseUrl, 'alice', 'alice-Passw0rd!');
    bob = await Api.login(platform.baseUrl, 'bob', 'bob-Passw0rd!');
    acmeDevice = (await alice.post<DeclaredDevice>('/api/v1/devices', { name: 'Acme meter' })).body;
  });
  afterAll(() => platform.destroy());

  describe('401 without a valid token', () => {
    it.each([
      ['GET', '/api/v1/devices'],
      ['POST', '/api/v1/devices'],
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/telemetry?thingName=x'],
      ['POST', '/api/v1/workspaces'],
    ])('%s %s', async (method, path) => {
      const body = method === 'GET' ? undefined : {};
      const response = await new Api(platform.baseUrl).request<{ error: { code: string; requestId: string } }>(method, path, body);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
      expect(response.body.error.requestId).toBe(response.headers.get('x-request-id'));
    });

    it('refuses a forged or garbled token', async () => {
      const forged = new Api(platform.baseUrl, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c3JfMSJ9.');
      expect((await forged.get('/api/v1/devices')).status).toBe(401);
      const response = await fetch(`${platform.baseUrl}/api/v1/devices`, { headers: { authorization: 'Basic YWRtaW46eA==' } });
      expect(response.status).toBe(401);
    });

    it('gives the same answer for an unknown user and a wrong password', async () => {
      const unknown = await new Api(platform.baseUrl).post('/api/v1/auth/token', { username: 'mallory', password: 'whatever-1234' });
      const wrong = await new Api(platform.baseUrl).post('/api/v1/auth/token', { username: 'alice', password: 'whatever-1234' });
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(unknown.body).toMatchObject({ error: { code: 'unauthorized', message: 'wrong username or password' } });
      expect(wrong.body).toMatchObject({ error: { code: 'unauthorized', message: 'wrong username or password' } });
    });
  });

  describe('403 for a missing role', () => {
    it('only a platform admin creates users and workspaces', async () => {
      expect((await alice.post('/api/v1/workspaces', { slug: 'mine', name: 'Mine' })).status).toBe(403);
      expect((await alice.post('/api/v1/users', { username: 'eve', password: 'eve-Passw0rd!' })).status).toBe(403);
      expect((await alice.get('/api/v1/users')).status).toBe(403);
    });

    it('only a workspace admin changes its members', async () => {
      const me = await bob.get<{ user: User }>('/api/v1/me');
      const response = await alice.put('/api/v1/workspaces/acme/members', { userId: me.body.user.id, role: 'admin' });
      expect(response.status).toBe(403);
    });
  });

  describe('404 for another workspace\'s resources', () => {
    it('hides a device of another workspace from every verb', async () => {
      const path = `/api/v1/devices/${acmeDevice.id}`;
      expect((await bob.get(path)).status).toBe(404);
      expect((await bob.patch(path, { name: 'Mine now' })).status).toBe(404);
      expect((await bob.post(`${path}/revoke`)).status).toBe(404);
      expect((await bob.post(`${path}/activation-code`)).status).toBe(404);
      expect((await bob.delete(path)).status).toBe(404);
      expect((await alice.get<Device>(path)).body.name).toBe('Acme meter');
      const bobsList = await bob.get<{ items: Device[] }>('/api/v1/devices');
      expect(bobsList.body.items.map((device) => device.id)).not.toContain(acmeDevice.id);
    });

    it('answers 404 when a caller names a workspace it does not belong to', async () => {
      const response = await bob.inWorkspace('acme').get<{ error: { code: string } }>('/api/v1/devices');
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    });

    it('hides another workspace\'s telemetry', async () => {
      const activated = await declareAndActivate(alice, 'Acme telemetry');
      const path = `/api/v1/telemetry?thingName=${activated.device.thingName}`;
      expect((await alice.get(path)).status).toBe(200);
      expect((await bob.get(path)).status).toBe(404);
      expect((await bob.get(`/api/v1/telemetry/dead-letters?thingName=${activated.device.thingName}`)).status).toBe(404);
    });

    it('lets a platform admin act in any workspace', async () => {
      const response = await admin.inWorkspace('acme').get<Device>(`/api/v1/devices/${acmeDevice.id}`);
      expect(response.status).toBe(200);
    });
  });

  describe('input validation', () => {
    it('answers 400 with the issues for a bad body, and 400 for broken JSON', async () => {
      const bad = await alice.post<{ error: { code: string; details: unknown[] } }>('/api/v1/devices', {
        name: '',
        latitude: 123,
        extra: true,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('bad_request');
      expect(bad.body.error.details.length).toBeGreaterThanOrEqual(2);
      const broken = await alice.request('POST', '/api/v1/devices', '{"name": ');
      expect(broken.status).toBe(400);
    });

    it('updates metadata and deletes a device', async () => {
      const device = (await alice.post<DeclaredDevice>('/api/v1/devices', { name: 'Temporary' })).body;
      const updated = await alice.patch<Device>(`/api/v1/devices/${device.id}`, {
        name: 'Renamed',
        location: 'Roof',
        latitude: 51.5,
        longitude: -0.12,
      });
      expect(updated.body).toMatchObject({ name: 'Renamed', location: 'Roof', latitude: 51.5, longitude: -0.12 });
      expect((await alice.patch(`/api/v1/devices/${device.id}`, {})).status).toBe(400);
      expect((await alice.delete(`/api/v1/devices/${device.id}`)).status).toBe(204);
      expect((await alice.get(`/api/v1/devices/${device.id}`)).status).toBe(404);
    });
  });
});
