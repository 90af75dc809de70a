import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { ThingGroup, ThingGroupList, ThingGroupMembers, type Device, type ErrorEnvelope, type Job } from '@citus/contracts';
import { openDatabase } from '@citus/sqlite';
import { connectMqtt } from './support/devices.js';
import { eventually } from './support/eventually.js';
import { bootTestPlatform, declareAndActivate, workspacePeople, type ActivatedDevice, type Api, type TestPlatform } from './support/test-platform.js';

// Thing groups through the platform's REST API: static and dynamic groups, as an update job's
// targets will name them; workspaces kept apart, writes for workspace admins.
describe('thing groups', () => {
  let platform: TestPlatform;
  let admin: Api;
  let elsewhere: Api;
  let dora: Api;
  let lamp: string;
  let pump: ActivatedDevice;
  let theirLamp: string;
  let connected: MqttClient;

  const members = async (api: Api, groupName: string) => {
    const response = await api.get<ThingGroupMembers>(`/api/v1/thing-groups/${groupName}/things`);
    expect(response.status).toBe(200);
    return ThingGroupMembers.parse(response.body).items.map((item) => item.thingName);
  };
  const create = async (api: Api, body: Record<string, unknown>) => {
    const created = await api.post<ThingGroup>('/api/v1/thing-groups', body);
    expect(created.status).toBe(201);
    return ThingGroup.parse(created.body);
  };
  const report = async (thingName: string, reported: Record<string, unknown>, api = admin) =>
    expect((await api.post(`/api/v1/things/${thingName}/shadow`, { state: { reported } })).status).toBe(200);
  const declare = async (api: Api, body: Record<string, unknown>) => {
    const declared = await api.post<Device>('/api/v1/devices', body);
    expect(declared.status).toBe(201);
    return declared.body;
  };

  beforeAll(async () => {
    platform = await bootTestPlatform();
    ({ admin, elsewhere, dora } = await workspacePeople(platform));
    const lampDevice = await declareAndActivate(admin, 'Porch lamp');
    lamp = lampDevice.device.thingName;
    pump = await declareAndActivate(admin, 'Cellar pump');
    theirLamp = (await declareAndActivate(elsewhere, 'Their lamp')).device.thingName;
    connected = await connectMqtt(platform, lampDevice);
  });
  afterAll(async () => {
    await connected?.endAsync();
    await platform?.destroy();
  });

  it('an admin makes a static group and adds and removes things; any member reads it', async () => {
    expect(await create(admin, { groupName: 'porch', description: 'Lamps by the door' })).toMatchObject({ groupName: 'porch', groupType: 'static', description: 'Lamps by the door' });
    for (let times = 0; times < 2; times += 1) expect((await admin.put(`/api/v1/thing-groups/porch/things/${lamp}`)).status).toBe(204);
    expect((await admin.put(`/api/v1/thing-groups/porch/things/${pump.device.thingName}`)).status).toBe(204);

    expect((await members(dora, 'porch')).sort()).toEqual([lamp, pump.device.thingName].sort());
    const listed = await dora.get<ThingGroupList>('/api/v1/thing-groups');
    expect(ThingGroupList.parse(listed.body).items.map((group) => group.groupName)).toContain('porch');
    expect((await dora.get<ThingGroup>('/api/v1/thing-groups/porch')).body).toMatchObject({ groupName: 'porch', groupType: 'static' });

    expect((await admin.delete(`/api/v1/thing-groups/porch/things/${pump.device.thingName}`)).status).toBe(204);
    expect(await members(admin, 'porch')).toEqual([lamp]);
  });

  it("a dynamic group's things are those its query matches when asked", async () => {
    await report(lamp, { firmware: '1.4.0' });
    await report(pump.device.thingName, { firmware: '1.2.0' });
    const group = await create(admin, { groupName: 'online-on-1x', queryString: 'shadow.reported.firmware:1.* AND connectivity.connected:true' });
    expect(group).toMatchObject({ groupType: 'dynamic', queryString: 'shadow.reported.firmware:1.* AND connectivity.connected:true' });

    expect(await eventually(() => members(admin, 'online-on-1x'), (things) => things.length === 1)).toEqual([lamp]);
    await report(lamp, { firmware: '2.0.0' });
    expect(await members(dora, 'online-on-1x')).toEqual([]);

    const added = await admin.put<ErrorEnvelope>(`/api/v1/thing-groups/online-on-1x/things/${lamp}`);
    expect(added.status).toBe(409);
    expect(added.body.error.message).toMatch(/online-on-1x is a dynamic thing group/);
  });

  it('refuses a query it cannot run with a 400 giving the position, and bad names and duplicates', async () => {
    const bad = await admin.post<ErrorEnvelope>('/api/v1/thing-groups', { groupName: 'bad', queryString: 'thingName:lamp-* AND shadow.reported.temp>warm' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("invalid queryString: expected a number after > but found 'warm' (line 1, column 43)");
    expect(bad.body.error.details).toEqual([{ path: ['queryString'], message: "expected a number after > but found 'warm'", position: { offset: 42, line: 1, column: 43 } }]);
    expect((await admin.get('/api/v1/thing-groups/bad')).status).toBe(404);

    expect((await admin.post('/api/v1/thing-groups', { groupName: 'no spaces' })).status).toBe(400);
    expect((await admin.post('/api/v1/thing-groups', { groupName: 'x'.repeat(129) })).status).toBe(400);
    expect((await admin.post('/api/v1/thing-groups', { groupName: 'dup' })).status).toBe(201);
    expect((await admin.post('/api/v1/thing-groups', { groupName: 'dup', queryString: 'thingName:*' })).status).toBe(409);
  });

  it("keeps workspaces apart: another workspace's group or thing answers 404", async () => {
    await create(elsewhere, { groupName: 'theirs' });
    await create(elsewhere, { groupName: 'every-thing', queryString: 'thingName:*' });
    await create(admin, { groupName: 'mine' });

    for (const path of ['/api/v1/thing-groups/theirs', '/api/v1/thing-groups/theirs/things']) expect((await admin.get(path)).status).toBe(404);
    expect((await admin.delete('/api/v1/thing-groups/theirs')).status).toBe(404);
    expect((await admin.put(`/api/v1/thing-groups/theirs/things/${lamp}`)).status).toBe(404);
    const foreignThing = await admin.put<ErrorEnvelope>(`/api/v1/thing-groups/mine/things/${theirLamp}`);
    expect([foreignThing.status, foreignThing.body.error.message]).toEqual([404, 'thing not found']);
    expect((await admin.delete(`/api/v1/thing-groups/mine/things/${theirLamp}`)).status).toBe(404);

    expect(await members(elsewhere, 'every-thing')).toEqual([theirLamp]);
    expect((await elsewhere.get<ThingGroupList>('/api/v1/thing-groups')).body.items.map((group) => group.groupName)).toEqual(['every-thing', 'theirs']);
    expect((await elsewhere.get('/api/v1/thing-groups/mine')).status).toBe(404);
    expect((await elsewhere.get('/api/v1/thing-groups/theirs')).status).toBe(200);
  });

  it('lets a plain member read, never write (403, before the body is read)', async () => {
    await create(admin, { groupName: 'readable' });
    const refusals = [
      await dora.post('/api/v1/thing-groups', { groupName: 'doras' }),
      await dora.post('/api/v1/thing-groups', { nonsense: true }),
      await dora.delete('/api/v1/thing-groups/readable'),
      await dora.put(`/api/v1/thing-groups/readable/things/${lamp}`),
      await dora.delete(`/api/v1/thing-groups/readable/things/${lamp}`),
    ];
    expect(refusals.map((response) => response.status)).toEqual([403, 403, 403, 403, 403]);
    expect((await dora.get('/api/v1/thing-groups/readable')).status).toBe(200);
    expect((await dora.get('/api/v1/thing-groups/doras')).status).toBe(404);
    expect(await members(dora, 'readable')).toEqual([]);
  });

  it('an update job targets groups: static members and dynamic matches as they are at creation, each thing once', async () => {
    await create(admin, { groupName: 'pumps' });
    expect((await admin.put(`/api/v1/thing-groups/pumps/things/${pump.device.thingName}`)).status).toBe(204);
    await report(lamp, { firmware: '3.0.0' });
    await create(admin, { groupName: 'on-3x', queryString: 'shadow.reported.firmware:3.*' });
    const created = await admin.post('/api/v1/jobs', { jobId: 'by-groups', targets: [lamp], thingGroups: ['pumps', 'on-3x'], document: { operation: 'noop' } });
    expect(created.status).toBe(201);
    const job = (await admin.get<Job>('/api/v1/jobs/by-groups')).body;
    expect(job.thingGroups).toEqual(['pumps', 'on-3x']);
    expect([...job.targets].sort()).toEqual([lamp, pump.device.thingName].sort());
    expect(job.rollout.numberOfQueuedThings).toBe(2);

    const unknown = await admin.post<ErrorEnvelope>('/api/v1/jobs', { thingGroups: ['nope'], document: {} });
    expect([unknown.status, unknown.body.error.message]).toEqual([400, 'no such thing group in this workspace: nope']);
    expect((await admin.post('/api/v1/jobs', { thingGroups: ['theirs'], document: {} })).status).toBe(400);
    await create(admin, { groupName: 'empty' });
    const empty = await admin.post<ErrorEnvelope>('/api/v1/jobs', { thingGroups: ['empty'], document: {} });
    expect([empty.status, empty.body.error.message]).toEqual([400, 'the job has no target: its thing groups have no things']);
    expect((await admin.post('/api/v1/jobs', { document: {} })).status).toBe(400);
  });

  it('a deleted group goes with its memberships; a deleted device leaves its groups', async () => {
    await create(admin, { groupName: 'cellar' });
    await create(admin, { groupName: 'gone' });
    for (const groupName of ['cellar', 'gone']) expect((await admin.put(`/api/v1/thing-groups/${groupName}/things/${pump.device.thingName}`)).status).toBe(204);
    expect((await admin.delete('/api/v1/thing-groups/gone')).status).toBe(204);
    expect((await admin.get('/api/v1/thing-groups/gone')).status).toBe(404);

    expect((await admin.delete(`/api/v1/devices/${pump.device.id}`)).status).toBe(204);
    expect(await members(admin, 'cellar')).toEqual([]);
    // The hub forgets the membership on thing.deleted, just after the DELETE answered.
    const rows = () => {
      const db = openDatabase(join(platform.dataDir, 'groups.db'), { module: 'thing-groups-test', migrations: [] });
      try {
        return db.prepare('SELECT count(*) FROM thing_group_members WHERE thing_name = ?').pluck().get(pump.device.thingName);
      } finally {
        db.close();
      }
    };
    expect(await eventually(rows, (count) => count === 0)).toBe(0);
  });

  it("a dynamic group queries the registry's attributes with shadow state, each workspace its own devices", async () => {
    const kitchen = await declare(admin, { name: 'Kitchen meter', type: 'meter', location: 'Kitchen', latitude: 52.37, longitude: 4.89 });
    const garage = await declare(admin, { name: 'Garage meter', type: 'meter', location: 'Garage' });
    const hall = await declare(admin, { name: 'Hall meter' });
    const theirs = await declare(elsewhere, { name: 'Kitchen meter', type: 'meter', location: 'Kitchen', latitude: 52.37, longitude: 4.89 });
    for (const device of [kitchen, hall]) await report(device.thingName, { battery: 15 });
    await report(garage.thingName, { battery: 90 });
    await report(theirs.thingName, { battery: 15 }, elsewhere);

    const lowMeters = 'attributes.type:meter AND shadow.reported.battery<20';
    await create(admin, { groupName: 'low-meters', queryString: lowMeters });
    await create(elsewhere, { groupName: 'low-meters', queryString: lowMeters });
    expect(await members(dora, 'low-meters')).toEqual([kitchen.thingName]);
    expect(await members(elsewhere, 'low-meters')).toEqual([theirs.thingName]);

    await create(admin, { groupName: 'north-kitchens', queryString: 'attributes.location:"KITCHEN" AND attributes.latitude>52' });
    expect(await members(admin, 'north-kitchens')).toEqual([kitchen.thingName]);
    // Declared without a type: only NOT matches it.
    await create(admin, { groupName: 'untyped-meters', queryString: 'attributes.name:*meter AND NOT attributes.type:*' });
    expect(await members(admin, 'untyped-meters')).toEqual([hall.thingName]);

    // Read when asked: a device's metadata changed since is what the next evaluation sees.
    expect((await admin.patch(`/api/v1/devices/${kitchen.id}`, { type: null })).status).toBe(200);
    expect(await members(admin, 'low-meters')).toEqual([]);
    expect((await members(admin, 'untyped-meters')).sort()).toEqual([hall.thingName, kitchen.thingName].sort());

    const unknown = await admin.post<ErrorEnvelope>('/api/v1/thing-groups', { groupName: 'by-model', queryString: 'attributes.type:meter AND attributes.model:x1' });
    expect([unknown.status, unknown.body.error.details]).toEqual([400, [expect.objectContaining({ position: { offset: 26, line: 1, column: 27 } })]]);
    expect(unknown.body.error.message).toMatch(/^invalid queryString: attributes\.model is not an attribute the registry keeps/);
  });
});
