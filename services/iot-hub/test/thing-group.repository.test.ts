import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { SqliteThingGroupRepository, THING_GROUP_MIGRATIONS } from '../src/adapters/sqlite/thing-group.repository.js';
import type { StoredThingGroup } from '../src/domain/groups/thing-group.model.js';

const WS = 'ws_a';
const OTHER_WS = 'ws_b';
const AT = '2026-01-01T00:00:00.000Z';

const aGroup = (overrides: Partial<StoredThingGroup> = {}): StoredThingGroup => ({ workspaceId: WS, name: 'porch', description: '', createdAt: AT, ...overrides });

describe('the thing group repository (a real SQLite file)', () => {
  let dir: string;
  let db: SqliteDatabase;
  let repository: SqliteThingGroupRepository;

  const open = () => {
    db = openDatabase(join(dir, 'groups.db'), { module: 'groups', migrations: THING_GROUP_MIGRATIONS });
    repository = new SqliteThingGroupRepository(db);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-groups-'));
    open();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps static and dynamic groups per workspace, by name, across a reopen', () => {
    expect(repository.insert(aGroup({ name: 'b-static', description: 'the porch lamps' }))).toBe(true);
    expect(repository.insert(aGroup({ name: 'a-dynamic', queryString: 'thingName:lamp-*' }))).toBe(true);
    expect(repository.insert(aGroup({ workspaceId: OTHER_WS, name: 'b-static' }))).toBe(true);
    db.close();
    open();

    expect(repository.list(WS)).toEqual([
      { workspaceId: WS, name: 'a-dynamic', description: '', queryString: 'thingName:lamp-*', createdAt: AT },
      { workspaceId: WS, name: 'b-static', description: 'the porch lamps', createdAt: AT },
    ]);
    expect(repository.list(OTHER_WS).map((group) => group.name)).toEqual(['b-static']);
    expect(repository.get(WS, 'a-dynamic')?.queryString).toBe('thingName:lamp-*');
    expect(repository.get(OTHER_WS, 'a-dynamic')).toBeUndefined();
  });

  it('refuses a second group of the same name in a workspace, and keeps the first', () => {
    expect(repository.insert(aGroup({ description: 'first' }))).toBe(true);
    expect(repository.insert(aGroup({ description: 'second', queryString: 'thingName:x' }))).toBe(false);
    expect(repository.get(WS, 'porch')).toEqual(aGroup({ description: 'first' }));
  });

  it('adds a member once, removes it, and answers members by name', () => {
    repository.insert(aGroup());
    repository.addMember(WS, 'porch', 'lamp-2', AT);
    repository.addMember(WS, 'porch', 'lamp-1', AT);
    repository.addMember(WS, 'porch', 'lamp-2', AT);
    expect(repository.members(WS, 'porch')).toEqual(['lamp-1', 'lamp-2']);
    expect(repository.removeMember(WS, 'porch', 'lamp-2')).toBe(true);
    expect(repository.removeMember(WS, 'porch', 'lamp-2')).toBe(false);
    expect(repository.members(WS, 'porch')).toEqual(['lamp-1']);
  });

  it('refuses a member of a group that does not exist (in that workspace)', () => {
    repository.insert(aGroup({ workspaceId: OTHER_WS }));
    expect(() => repository.addMember(WS, 'porch', 'lamp-1', AT)).toThrow(/FOREIGN KEY/);
    expect(repository.members(OTHER_WS, 'porch')).toEqual([]);
  });

  it('deletes a group with its memberships; a group of the same name starts empty', () => {
    repository.insert(aGroup());
    repository.addMember(WS, 'porch', 'lamp-1', AT);
    expect(repository.delete(WS, 'porch')).toBe(true);
    expect(repository.delete(WS, 'porch')).toBe(false);
    expect(db.prepare('SELECT count(*) FROM thing_group_members').pluck().get()).toBe(0);
    repository.insert(aGroup());
    expect(repository.members(WS, 'porch')).toEqual([]);
  });

  it('takes a deleted thing out of every group of its workspace only', () => {
    for (const name of ['porch', 'garden']) repository.insert(aGroup({ name }));
    repository.insert(aGroup({ workspaceId: OTHER_WS }));
    repository.addMember(WS, 'porch', 'lamp-1', AT);
    repository.addMember(WS, 'garden', 'lamp-1', AT);
    repository.addMember(WS, 'garden', 'lamp-2', AT);
    repository.addMember(OTHER_WS, 'porch', 'lamp-1', AT);

    expect(repository.forgetThing(WS, 'lamp-1')).toBe(2);
    expect(repository.members(WS, 'porch')).toEqual([]);
    expect(repository.members(WS, 'garden')).toEqual(['lamp-2']);
    expect(repository.members(OTHER_WS, 'porch')).toEqual(['lamp-1']);
  });
});
