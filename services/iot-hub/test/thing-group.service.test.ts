import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { CONNECTIVITY_MIGRATIONS, SqliteConnectivityRepository } from '../src/adapters/sqlite/connectivity.repository.js';
import { SHADOW_MIGRATIONS, SqliteShadowRepository } from '../src/adapters/sqlite/shadow.repository.js';
import { SqliteThingGroupRepository, THING_GROUP_MIGRATIONS } from '../src/adapters/sqlite/thing-group.repository.js';
import { PresenceService } from '../src/app/presence.service.js';
import { ThingGroupService } from '../src/app/thing-group.service.js';
import type { ThingDirectory } from '../src/domain/device-session.model.js';
import type { DeviceAttributes, ThingAttributes } from '../src/domain/groups/device-attributes.port.js';

const WS = 'ws_a';
const OTHER_WS = 'ws_b';
const logger = createLogger({ level: 'silent' });

/** The registry's directory, in memory: thing name -> workspace. */
function directoryOf(entries: Record<string, string>): ThingDirectory & { entries: Record<string, string> } {
  return {
    entries,
    workspaceOfThing: (thingName) => entries[thingName],
    thingsOf: (workspaceId) => Object.keys(entries).filter((thingName) => entries[thingName] === workspaceId),
  };
}

/** The registry's device metadata, in memory (thing name -> attributes, all of workspace WS); remembers what it was asked. */
function registryAttributes(entries: Record<string, ThingAttributes>): DeviceAttributes & { asked: Array<{ workspaceId: string; thingNames: string[] }> } {
  const asked: Array<{ workspaceId: string; thingNames: string[] }> = [];
  return {
    asked,
    attributesOf: async (workspaceId, thingNames) => {
      asked.push({ workspaceId, thingNames: [...thingNames] });
      return new Map(thingNames.flatMap((thingName) => (entries[thingName] ? [[thingName, entries[thingName]] as const] : [])));
    },
  };
}

/** The AppError `run` throws. */
function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('not refused');
}

/** The AppError `pending` rejects with. */
async function rejection(pending: Promise<unknown>): Promise<AppError> {
  const error = await pending.then(
    () => new Error('not refused'),
    (reason: unknown) => reason,
  );
  if (error instanceof AppError) return error;
  throw error;
}

describe('thing groups over the hub\'s stores (real SQLite files)', () => {
  let dir: string;
  let dbs: SqliteDatabase[];
  let shadows: SqliteShadowRepository;
  let presence: PresenceService;
  let directory: ReturnType<typeof directoryOf>;
  let attributes: ReturnType<typeof registryAttributes>;
  let groups: ThingGroupService;

  const reported = (thingName: string, state: Record<string, unknown>, workspaceId = WS) =>
    shadows.write([{ workspaceId, thingName, shadowName: '', version: 1, content: { state: { reported: state }, metadata: {} }, updatedAt: 1 }]);
  const connect = (thingName: string, workspaceId = WS) =>
    presence.connected({ requester: { clientId: thingName, workspaceId, thingName }, sessionIdentifier: `s-${thingName}`, ipAddress: '127.0.0.1' });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-groups-'));
    const open = (file: string, module: string, migrations: typeof SHADOW_MIGRATIONS) => openDatabase(join(dir, file), { module, migrations });
    dbs = [open('groups.db', 'groups', THING_GROUP_MIGRATIONS), open('shadows.db', 'shadows', SHADOW_MIGRATIONS), open('presence.db', 'presence', CONNECTIVITY_MIGRATIONS)];
    const [groupsDb, shadowsDb, presenceDb] = dbs as [SqliteDatabase, SqliteDatabase, SqliteDatabase];
    shadows = new SqliteShadowRepository(shadowsDb);
    presence = new PresenceService(new SqliteConnectivityRepository(presenceDb), { publish: async () => undefined }, logger);
    directory = directoryOf({ 'lamp-1': WS, 'lamp-2': WS, 'pump-1': WS, 'lamp-9': OTHER_WS });
    attributes = registryAttributes({
      'lamp-1': { name: 'Porch lamp', type: 'lamp', location: 'Porch', latitude: 52.37, longitude: 4.89 },
      'lamp-2': { name: 'Garden lamp', type: 'lamp' },
      'pump-1': { name: 'Cellar pump', type: 'pump', location: 'Cellar' },
    });
    groups = new ThingGroupService({
      repository: new SqliteThingGroupRepository(groupsDb),
      things: directory,
      shadows,
      connectivity: presence,
      attributes,
      logger,
      now: () => new Date('2026-01-01T00:00:00Z'),
    });
  });
  afterEach(() => {
    for (const db of dbs) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('saving', () => {
    it('makes a group static without a query, dynamic with one', () => {
      expect(groups.create(WS, { groupName: 'porch', description: 'porch lamps' })).toEqual({
        groupName: 'porch',
        description: 'porch lamps',
        groupType: 'static',
        createdAt: '2026-01-01T00:00:00.000Z',
      });
      expect(groups.create(WS, { groupName: 'old-firmware', queryString: 'shadow.reported.fw<2' })).toMatchObject({ groupType: 'dynamic', queryString: 'shadow.reported.fw<2', description: '' });
      expect(groups.list(WS).map((group) => group.groupName)).toEqual(['old-firmware', 'porch']);
      expect(groups.list(OTHER_WS)).toEqual([]);
    });

    it('refuses a query it cannot run with a 400 naming the position, and saves nothing', () => {
      const error = refusal(() => groups.create(WS, { groupName: 'bad', queryString: 'thingName:a AND colour:red' }));
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/^invalid queryString: unknown field colour.*\(line 1, column 17\)$/);
      expect(error.details).toEqual([{ path: ['queryString'], message: expect.stringMatching(/^unknown field colour/), position: { offset: 16, line: 1, column: 17 } }]);
      expect(groups.list(WS)).toEqual([]);
    });

    it('refuses a name the workspace has (409), not one another workspace has', () => {
      groups.create(WS, { groupName: 'porch' });
      expect(refusal(() => groups.create(WS, { groupName: 'porch', queryString: 'thingName:*' })).status).toBe(409);
      expect(groups.create(OTHER_WS, { groupName: 'porch' }).groupType).toBe('static');
    });

    it("answers 404 for another workspace's group, as for none", async () => {
      groups.create(OTHER_WS, { groupName: 'theirs' });
      for (const run of [() => groups.get(WS, 'theirs'), () => groups.delete(WS, 'theirs'), () => groups.addThing(WS, 'theirs', 'lamp-1')]) {
        expect(refusal(run)).toMatchObject({ status: 404, message: 'thing group not found' });
      }
      expect(await rejection(groups.members(WS, 'theirs'))).toMatchObject({ status: 404, message: 'thing group not found' });
      expect(groups.get(OTHER_WS, 'theirs').groupName).toBe('theirs');
    });
  });

  describe('a static group', () => {
    beforeEach(() => groups.create(WS, { groupName: 'porch' }));

    it('lists the things added to it, by name, once each; removing one twice changes nothing', async () => {
      groups.addThing(WS, 'porch', 'lamp-2');
      groups.addThing(WS, 'porch', 'lamp-1');
      groups.addThing(WS, 'porch', 'lamp-2');
      expect(await groups.members(WS, 'porch')).toEqual(['lamp-1', 'lamp-2']);
      groups.removeThing(WS, 'porch', 'lamp-2');
      groups.removeThing(WS, 'porch', 'lamp-2');
      await expect(groups.resolveTargets(WS, 'porch')).resolves.toEqual(['lamp-1']);
    });

    it("refuses another workspace's thing, and one that does not exist, as 404", async () => {
      expect(refusal(() => groups.addThing(WS, 'porch', 'lamp-9'))).toMatchObject({ status: 404, message: 'thing not found' });
      expect(refusal(() => groups.addThing(WS, 'porch', 'ghost'))).toMatchObject({ status: 404, message: 'thing not found' });
      expect(await groups.members(WS, 'porch')).toEqual([]);
    });

    it('loses a deleted thing: forgotten on thing.deleted, and left out until then', async () => {
      groups.addThing(WS, 'porch', 'lamp-1');
      groups.addThing(WS, 'porch', 'lamp-2');
      delete directory.entries['lamp-2'];
      expect(await groups.members(WS, 'porch')).toEqual(['lamp-1']);
      expect(groups.forgetThing(WS, 'lamp-2')).toBe(1);
      directory.entries['lamp-2'] = WS; // a new thing of the same name is no member
      expect(await groups.members(WS, 'porch')).toEqual(['lamp-1']);
    });

    it('goes with its memberships when deleted', async () => {
      groups.addThing(WS, 'porch', 'lamp-1');
      groups.delete(WS, 'porch');
      await expect(groups.resolveTargets(WS, 'porch')).rejects.toMatchObject({ code: 'not_found', message: 'thing group not found' });
      groups.create(WS, { groupName: 'porch' });
      expect(await groups.members(WS, 'porch')).toEqual([]);
    });
  });

  describe('a dynamic group', () => {
    it('is evaluated when asked, over the things of its workspace, their classic shadows and connectivity', async () => {
      groups.create(WS, { groupName: 'online-old-lamps', queryString: 'thingName:lamp-* AND shadow.reported.firmware.version<2 AND connectivity.connected:true' });
      await reported('lamp-1', { firmware: { version: 1 } });
      await reported('lamp-2', { firmware: { version: 1 } });
      await reported('pump-1', { firmware: { version: 1 } });
      await reported('lamp-9', { firmware: { version: 1 } }, OTHER_WS);
      for (const thingName of ['lamp-1', 'pump-1']) connect(thingName);
      connect('lamp-9', OTHER_WS);
      expect(await groups.members(WS, 'online-old-lamps')).toEqual(['lamp-1']);

      connect('lamp-2');
      await reported('lamp-1', { firmware: { version: 2 } });
      await expect(groups.resolveTargets(WS, 'online-old-lamps')).resolves.toEqual(['lamp-2']);
    });

    it('matches things with no shadow and never connected when the query says so', async () => {
      groups.create(WS, { groupName: 'offline', queryString: 'connectivity.connected:false AND NOT shadow.reported.fw:*' });
      connect('lamp-1');
      expect(await groups.members(WS, 'offline')).toEqual(['lamp-2', 'pump-1']);
    });

    it('reads the desired section too, and not named shadows', async () => {
      groups.create(WS, { groupName: 'eco', queryString: 'shadow.desired.mode:eco' });
      await shadows.write([
        { workspaceId: WS, thingName: 'lamp-1', shadowName: '', version: 1, content: { state: { desired: { mode: 'ECO' } }, metadata: {} }, updatedAt: 1 },
        { workspaceId: WS, thingName: 'lamp-2', shadowName: 'config', version: 1, content: { state: { desired: { mode: 'eco' } }, metadata: {} }, updatedAt: 1 },
      ]);
      expect(await groups.members(WS, 'eco')).toEqual(['lamp-1']);
    });

    it('refuses members added or removed by hand (409)', async () => {
      groups.create(WS, { groupName: 'lamps', queryString: 'thingName:lamp-*' });
      expect(refusal(() => groups.addThing(WS, 'lamps', 'pump-1'))).toMatchObject({ status: 409, message: expect.stringContaining('lamps is a dynamic thing group') });
      expect(refusal(() => groups.removeThing(WS, 'lamps', 'lamp-1')).status).toBe(409);
      expect(await groups.members(WS, 'lamps')).toEqual(['lamp-1', 'lamp-2']);
    });

    it('answers 503 on a hub whose directory cannot list things, rather than an empty group', async () => {
      const blind = new ThingGroupService({
        repository: new SqliteThingGroupRepository(dbs[0] as SqliteDatabase),
        things: { workspaceOfThing: directory.workspaceOfThing },
        shadows,
        connectivity: presence,
        logger,
      });
      blind.create(WS, { groupName: 'lamps', queryString: 'thingName:lamp-*' });
      expect(await rejection(blind.members(WS, 'lamps'))).toMatchObject({ status: 503 });
    });
  });

  describe("a dynamic group over the registry's attributes", () => {
    it('matches attributes and shadow state together, asking the registry for its workspace\'s things only', async () => {
      groups.create(WS, { groupName: 'old-lamps', queryString: 'attributes.type:lamp AND shadow.reported.fw<2' });
      await reported('lamp-1', { fw: 1 });
      await reported('lamp-2', { fw: 2 });
      await reported('pump-1', { fw: 1 });
      await reported('lamp-9', { fw: 1 }, OTHER_WS);
      expect(await groups.members(WS, 'old-lamps')).toEqual(['lamp-1']);
      expect(attributes.asked).toEqual([{ workspaceId: WS, thingNames: ['lamp-1', 'lamp-2', 'pump-1'] }]);
    });

    it('matches an attribute a device was declared with; `*` only those that have one, NOT the others', async () => {
      groups.create(WS, { groupName: 'located', queryString: 'attributes.location:*' });
      groups.create(WS, { groupName: 'unlocated', queryString: 'NOT attributes.location:*' });
      groups.create(WS, { groupName: 'north', queryString: 'attributes.latitude>50 OR attributes.name:"cellar pump"' });
      expect(await groups.members(WS, 'located')).toEqual(['lamp-1', 'pump-1']);
      expect(await groups.members(WS, 'unlocated')).toEqual(['lamp-2']);
      expect(await groups.members(WS, 'north')).toEqual(['lamp-1', 'pump-1']);
    });

    it('does not ask the registry for a query without attributes', async () => {
      groups.create(WS, { groupName: 'lamps', queryString: 'thingName:lamp-*' });
      expect(await groups.members(WS, 'lamps')).toEqual(['lamp-1', 'lamp-2']);
      expect(attributes.asked).toEqual([]);
    });

    it('saves such a query on a hub without the registry\'s attributes, and answers 503 when it is evaluated', async () => {
      const blind = new ThingGroupService({ repository: new SqliteThingGroupRepository(dbs[0] as SqliteDatabase), things: directory, shadows, connectivity: presence, logger });
      blind.create(WS, { groupName: 'pumps', queryString: 'attributes.type:pump' });
      blind.create(WS, { groupName: 'lamps', queryString: 'thingName:lamp-*' });
      expect(await rejection(blind.members(WS, 'pumps'))).toMatchObject({ status: 503, message: expect.stringContaining('cannot read the registry\'s device attributes') });
      expect(await blind.members(WS, 'lamps')).toEqual(['lamp-1', 'lamp-2']);
    });

    it("passes on the registry's failure (503), never an empty group", async () => {
      const failing = new ThingGroupService({
        repository: new SqliteThingGroupRepository(dbs[0] as SqliteDatabase),
        things: directory,
        shadows,
        connectivity: presence,
        attributes: { attributesOf: () => Promise.reject(new AppError('unavailable', 'the device registry cannot be reached')) },
        logger,
      });
      failing.create(WS, { groupName: 'pumps', queryString: 'attributes.type:pump' });
      await expect(failing.resolveTargets(WS, 'pumps')).rejects.toMatchObject({ status: 503, message: 'the device registry cannot be reached' });
    });
  });
});
