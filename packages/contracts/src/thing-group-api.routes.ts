import type { ApiRoute } from './api-route.js';
import { CreateThingGroupRequest, ThingGroup, ThingGroupList, ThingGroupMemberPathParams, ThingGroupMembers, ThingGroupPathParams } from './thing-group.schema.js';

const reader = { tag: 'thing-groups', access: 'user', workspaceScoped: true } as const;
const writer = { tag: 'thing-groups', access: 'workspace-admin', workspaceScoped: true } as const;

const QUERY_SYNTAX =
  'A subset of AWS IoT fleet indexing query syntax over `thingName`, `connectivity.connected`, the device as declared in the registry ' +
  '(`attributes.name`, `attributes.type`, `attributes.location`, `attributes.latitude`, `attributes.longitude`) and the classic shadow ' +
  '(`shadow.reported.<path>`, `shadow.desired.<path>`): `field:value` (`*` and `?` wildcards), `field:"quoted value"`, ' +
  '`field>n` (also `>=`, `<`, `<=`), `field:[a TO b]` (`{ }` for exclusive bounds), `AND` (the default between terms), `OR`, `NOT` and parentheses.';

/**
 * Thing groups of the caller's workspace: static ones list their things, dynamic ones select them
 * with a fleet indexing query. Reading: any member; writing: a workspace admin. A group or thing of
 * another workspace answers 404, like one that does not exist.
 */
export const THING_GROUP_ROUTES: ApiRoute[] = [
  {
    ...writer,
    operationId: 'createThingGroup',
    method: 'post',
    path: '/api/v1/thing-groups',
    summary: 'Create a thing group: dynamic with a queryString, else static',
    description: `${QUERY_SYNTAX} The query is checked here: what the hub cannot run is a 400 whose details give the position.`,
    body: CreateThingGroupRequest,
    responses: { 201: { description: 'The group', schema: ThingGroup } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    ...reader,
    operationId: 'listThingGroups',
    method: 'get',
    path: '/api/v1/thing-groups',
    summary: "List the workspace's thing groups",
    responses: { 200: { description: 'Groups, by name', schema: ThingGroupList } },
    errors: [401, 404],
  },
  {
    ...reader,
    operationId: 'getThingGroup',
    method: 'get',
    path: '/api/v1/thing-groups/{groupName}',
    summary: 'Get a thing group',
    params: ThingGroupPathParams,
    responses: { 200: { description: 'The group', schema: ThingGroup } },
    errors: [400, 401, 404],
  },
  {
    ...writer,
    operationId: 'deleteThingGroup',
    method: 'delete',
    path: '/api/v1/thing-groups/{groupName}',
    summary: 'Delete a thing group (its things stay)',
    params: ThingGroupPathParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404],
  },
  {
    ...reader,
    operationId: 'listThingsInThingGroup',
    method: 'get',
    path: '/api/v1/thing-groups/{groupName}/things',
    summary: "A group's things, by name",
    description: "A static group's members; for a dynamic group, the things its query matches now.",
    params: ThingGroupPathParams,
    responses: { 200: { description: 'Things', schema: ThingGroupMembers } },
    errors: [400, 401, 404],
  },
  {
    ...writer,
    operationId: 'addThingToThingGroup',
    method: 'put',
    path: '/api/v1/thing-groups/{groupName}/things/{thingName}',
    summary: 'Add a thing of the workspace to a static group',
    description: 'Adding a member again changes nothing. A dynamic group answers 409: its query decides its things.',
    params: ThingGroupMemberPathParams,
    responses: { 204: { description: 'A member' } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    ...writer,
    operationId: 'removeThingFromThingGroup',
    method: 'delete',
    path: '/api/v1/thing-groups/{groupName}/things/{thingName}',
    summary: 'Remove a thing from a static group',
    description: 'Removing a thing that is not a member changes nothing. A dynamic group answers 409.',
    params: ThingGroupMemberPathParams,
    responses: { 204: { description: 'Not a member' } },
    errors: [400, 401, 403, 404, 409],
  },
];
