import { z } from 'zod';
import { ThingName } from './device.schema.js';

/**
 * Thing groups (https://docs.aws.amazon.com/iot/latest/developerguide/thing-groups.html), one set
 * per workspace, for naming many things at once (an update job's targets). A static group lists its
 * things; a dynamic group has a fleet indexing query (`queryString`) instead, and its things are
 * those the query matches when it is asked. The hub checks the query when the group is saved (a
 * 400 naming the position), never when it is evaluated.
 */

/** AWS IoT's thing group names: 1-128 letters, digits, `:`, `_` and `-`. */
export const ThingGroupName = z.string().regex(/^[a-zA-Z0-9:_-]{1,128}$/, 'thing group names are 1-128 letters, digits, :, _ and -');
export type ThingGroupName = z.infer<typeof ThingGroupName>;

/** AWS's limit on a dynamic group's query string (`AWS::IoT::ThingGroup` `QueryString`). */
export const MAX_GROUP_QUERY_CHARS = 1000;
/** AWS's limit on a thing group's description (`thingGroupDescription`). */
export const MAX_GROUP_DESCRIPTION_CHARS = 2028;

export const ThingGroupType = z.enum(['static', 'dynamic']);
export type ThingGroupType = z.infer<typeof ThingGroupType>;

export const CreateThingGroupRequest = z.strictObject({
  groupName: ThingGroupName,
  description: z.string().max(MAX_GROUP_DESCRIPTION_CHARS, `a description has at most ${MAX_GROUP_DESCRIPTION_CHARS} characters`).optional(),
  /** With it, a dynamic group of the things the query matches; without it, a static group. */
  queryString: z
    .string()
    .min(1, 'the query string is empty')
    .max(MAX_GROUP_QUERY_CHARS, `the query string has at most ${MAX_GROUP_QUERY_CHARS} characters`)
    .optional(),
});
export type CreateThingGroupRequest = z.infer<typeof CreateThingGroupRequest>;

export const ThingGroup = z.object({
  groupName: ThingGroupName,
  description: z.string(),
  groupType: ThingGroupType,
  /** Dynamic groups only. */
  queryString: z.string().optional(),
  createdAt: z.string(),
});
export type ThingGroup = z.infer<typeof ThingGroup>;

export const ThingGroupList = z.object({ items: z.array(ThingGroup) });
export type ThingGroupList = z.infer<typeof ThingGroupList>;

/** A group's things, by name: a static group's members, or what a dynamic group's query matches now. */
export const ThingGroupMembers = z.object({ items: z.array(z.object({ thingName: ThingName })) });
export type ThingGroupMembers = z.infer<typeof ThingGroupMembers>;

export const ThingGroupPathParams = z.object({ groupName: ThingGroupName });
export const ThingGroupMemberPathParams = z.object({ groupName: ThingGroupName, thingName: ThingName });
