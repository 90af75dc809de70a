/** A thing group as stored: static without a query, dynamic with one. */
export interface StoredThingGroup {
  workspaceId: string;
  name: string;
  description: string;
  /** A dynamic group's fleet indexing query, checked when it was saved. */
  queryString?: string;
  createdAt: string;
}

/** Port: thing groups and static groups' members, every read and write within one workspace. */
export interface ThingGroupRepository {
  /** False when the workspace has a group of that name already. */
  insert(group: StoredThingGroup): boolean;
  get(workspaceId: string, name: string): StoredThingGroup | undefined;
  /** By name. */
  list(workspaceId: string): StoredThingGroup[];
  /** The group and its memberships; false when there was none. */
  delete(workspaceId: string, name: string): boolean;
  /** Adds a member of an existing group; adding one again changes nothing. */
  addMember(workspaceId: string, groupName: string, thingName: string, at: string): void;
  /** False when the thing was not a member. */
  removeMember(workspaceId: string, groupName: string, thingName: string): boolean;
  /** A group's members, by name. */
  members(workspaceId: string, groupName: string): string[];
  /** Removes a thing from every group of the workspace; answers how many memberships went. */
  forgetThing(workspaceId: string, thingName: string): number;
}
