import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type { StoredThingGroup, ThingGroupRepository } from '../../domain/groups/thing-group.model.js';

export const THING_GROUP_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE thing_groups (
        workspace_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        -- A dynamic group's query; NULL for a static group.
        query_string TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, name)
      ) WITHOUT ROWID;
      CREATE TABLE thing_group_members (
        workspace_id TEXT NOT NULL,
        group_name TEXT NOT NULL,
        thing_name TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, group_name, thing_name),
        FOREIGN KEY (workspace_id, group_name) REFERENCES thing_groups (workspace_id, name) ON DELETE CASCADE
      ) WITHOUT ROWID;
      -- A deleted thing leaves every group it was in.
      CREATE INDEX thing_group_members_by_thing ON thing_group_members (workspace_id, thing_name);`,
  },
];

interface GroupRow {
  workspace_id: string;
  name: string;
  description: string;
  query_string: string | null;
  created_at: string;
}

const toGroup = (row: GroupRow): StoredThingGroup => ({
  workspaceId: row.workspace_id,
  name: row.name,
  description: row.description,
  ...(row.query_string === null ? {} : { queryString: row.query_string }),
  createdAt: row.created_at,
});

/** Thing groups and static groups' members of every workspace, in `groups.db`. */
export class SqliteThingGroupRepository implements ThingGroupRepository {
  private readonly sql;

  constructor(db: SqliteDatabase) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO thing_groups (workspace_id, name, description, query_string, created_at)
         VALUES (@workspaceId, @name, @description, @queryString, @createdAt)
         ON CONFLICT DO NOTHING`,
      ),
      get: db.prepare('SELECT * FROM thing_groups WHERE workspace_id = ? AND name = ?'),
      list: db.prepare('SELECT * FROM thing_groups WHERE workspace_id = ? ORDER BY name'),
      // Its memberships go with it (ON DELETE CASCADE).
      delete: db.prepare('DELETE FROM thing_groups WHERE workspace_id = ? AND name = ?'),
      addMember: db.prepare(
        `INSERT INTO thing_group_members (workspace_id, group_name, thing_name, added_at) VALUES (?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ),
      removeMember: db.prepare('DELETE FROM thing_group_members WHERE workspace_id = ? AND group_name = ? AND thing_name = ?'),
      members: db.prepare('SELECT thing_name FROM thing_group_members WHERE workspace_id = ? AND group_name = ? ORDER BY thing_name').pluck(),
      forgetThing: db.prepare('DELETE FROM thing_group_members WHERE workspace_id = ? AND thing_name = ?'),
    };
  }

  insert(group: StoredThingGroup): boolean {
    const row = { workspaceId: group.workspaceId, name: group.name, description: group.description, queryString: group.queryString ?? null, createdAt: group.createdAt };
    return this.sql.insert.run(row).changes === 1;
  }

  get(workspaceId: string, name: string): StoredThingGroup | undefined {
    const row = this.sql.get.get(workspaceId, name) as GroupRow | undefined;
    return row && toGroup(row);
  }

  list(workspaceId: string): StoredThingGroup[] {
    return (this.sql.list.all(workspaceId) as GroupRow[]).map(toGroup);
  }

  delete(workspaceId: string, name: string): boolean {
    return this.sql.delete.run(workspaceId, name).changes === 1;
  }

  addMember(workspaceId: string, groupName: string, thingName: string, at: string): void {
    this.sql.addMember.run(workspaceId, groupName, thingName, at);
  }

  removeMember(workspaceId: string, groupName: string, thingName: string): boolean {
    return this.sql.removeMember.run(workspaceId, groupName, thingName).changes === 1;
  }

  members(workspaceId: string, groupName: string): string[] {
    return this.sql.members.all(workspaceId, groupName) as string[];
  }

  forgetThing(workspaceId: string, thingName: string): number {
    return this.sql.forgetThing.run(workspaceId, thingName).changes;
  }
}
