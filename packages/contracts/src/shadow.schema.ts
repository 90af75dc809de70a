import { z } from 'zod';
import { ThingName } from './device.schema.js';
import type { MqttTopicSpec } from './mqtt-topic.js';

// AWS IoT Device Shadow documents (developer guide: "Device Shadow service documents", "Device
// Shadow error messages", quotas). The error messages below are AWS's own, word for word, because
// firmware written against AWS IoT Core may match on them.

/** The largest `state` of a shadow (desired plus reported, metadata excluded): AWS's 8 KB. */
export const MAX_SHADOW_STATE_BYTES = 8 * 1024;
/** Levels of nesting allowed inside `desired` or `reported`: "maximum is 6". */
export const MAX_SHADOW_DEPTH = 6;
/** "A client token that is longer than 64 bytes will cause this response." */
export const MAX_CLIENT_TOKEN_BYTES = 64;

/** A named shadow's name: 1 to 64 of letters, digits, `:`, `_` and `-`, as AWS allows. */
export const ShadowName = z.string().regex(/^[a-zA-Z0-9:_-]{1,64}$/, 'invalid shadow name');
export type ShadowName = z.infer<typeof ShadowName>;

export const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;

export const ShadowClientToken = z
  .string({ error: 'Invalid clientToken' })
  .refine((token) => utf8Bytes(token) <= MAX_CLIENT_TOKEN_BYTES, 'Invalid clientToken');

/** Any JSON object: the shadow service stores what the device sends, whatever its keys. */
const JsonObject = z.record(z.string(), z.unknown());

/** A `desired` or `reported` node of a request: an object, or `null` to delete the whole section. */
const RequestSection = (node: 'Desired' | 'Reported') =>
  z.record(z.string(), z.unknown(), { error: `${node} node must be an object` }).nullable().optional();

/** `P/get` and `P/delete`: an empty payload or `{clientToken}`; other keys (the SDK adds `thingName`) are ignored. */
export const ShadowRequest = z.object({ clientToken: ShadowClientToken.optional() }, { error: 'Invalid JSON' });
export type ShadowRequest = z.infer<typeof ShadowRequest>;

/** `P/update`, and the body of `POST /api/v1/things/{thingName}/shadow`. */
export const ShadowUpdateRequest = z.object(
  {
    state: z.strictObject(
      { desired: RequestSection('Desired'), reported: RequestSection('Reported') },
      {
        error: (issue) => {
          if (issue.code === 'unrecognized_keys') return 'State contains an invalid node';
          return issue.input === undefined ? 'Missing required node: state' : 'State node must be an object';
        },
      },
    ),
    /** Applied only if it equals the shadow's current version; otherwise 409. */
    version: z.number({ error: 'Invalid version' }).int('Invalid version').nonnegative('Invalid version').optional(),
    clientToken: ShadowClientToken.optional(),
  },
  { error: 'Invalid JSON' },
);
export type ShadowUpdateRequest = z.infer<typeof ShadowUpdateRequest>;

/** `metadata` mirrors the state tree; each leaf is `{timestamp}` (epoch seconds) of its last update. */
const ShadowMetadata = z.object({ desired: JsonObject.optional(), reported: JsonObject.optional() });
const ShadowState = z.object({ desired: JsonObject.optional(), reported: JsonObject.optional() });
const EpochSeconds = z.number().int();
const Version = z.number().int().nonnegative();

/** `P/get/accepted`, and the answer of `GET /api/v1/things/{thingName}/shadow`. */
export const ShadowDocument = z.object({
  state: ShadowState.extend({ delta: JsonObject.optional() }),
  metadata: ShadowMetadata,
  version: Version,
  timestamp: EpochSeconds,
  clientToken: z.string().optional(),
});
export type ShadowDocument = z.infer<typeof ShadowDocument>;

/** `P/update/accepted`: the sections the request sent, as sent (`null` included), with their metadata. */
export const ShadowUpdateAccepted = z.object({
  state: z.object({ desired: JsonObject.nullable().optional(), reported: JsonObject.nullable().optional() }),
  metadata: ShadowMetadata,
  version: Version,
  timestamp: EpochSeconds,
  clientToken: z.string().optional(),
});
export type ShadowUpdateAccepted = z.infer<typeof ShadowUpdateAccepted>;

/** `P/update/delta`: the desired keys that differ from reported, with their desired metadata. */
export const ShadowDelta = z.object({
  state: JsonObject,
  metadata: JsonObject,
  version: Version,
  timestamp: EpochSeconds,
  clientToken: z.string().optional(),
});
export type ShadowDelta = z.infer<typeof ShadowDelta>;

const ShadowSnapshot = z.object({ state: ShadowState, metadata: ShadowMetadata, version: Version });

/** `P/update/documents`: the shadow before and after each accepted update (no `previous` for a new one). */
export const ShadowDocuments = z.object({
  previous: ShadowSnapshot.optional(),
  current: ShadowSnapshot,
  timestamp: EpochSeconds,
  clientToken: z.string().optional(),
});
export type ShadowDocuments = z.infer<typeof ShadowDocuments>;

/** `P/delete/accepted`, and the answer of `DELETE /api/v1/things/{thingName}/shadow`. */
export const ShadowDeleteAccepted = z.object({ version: Version, timestamp: EpochSeconds, clientToken: z.string().optional() });
export type ShadowDeleteAccepted = z.infer<typeof ShadowDeleteAccepted>;

/** AWS's shadow error codes (HTTP statuses). */
export const ShadowErrorCode = z.literal([400, 401, 403, 404, 409, 413, 415, 429, 500]);
export type ShadowErrorCode = z.infer<typeof ShadowErrorCode>;

/** Every `/rejected` reply. */
export const ShadowErrorResponse = z.object({
  code: ShadowErrorCode,
  message: z.string(),
  timestamp: EpochSeconds,
  clientToken: z.string().optional(),
});
export type ShadowErrorResponse = z.infer<typeof ShadowErrorResponse>;

/** Path and query of the HTTP shadow routes: no `name` is the classic shadow. */
export const ShadowPathParams = z.object({ thingName: ThingName });
export const ShadowQuery = z.object({ name: ShadowName.optional() });
export type ShadowQuery = z.infer<typeof ShadowQuery>;

/** `$aws/things/{thingName}/shadow`, or `.../shadow/name/{shadowName}` for a named shadow. */
export function shadowTopicPrefix(thingName: string, shadowName?: string): string {
  return shadowName ? `$aws/things/${thingName}/shadow/name/${shadowName}` : `$aws/things/${thingName}/shadow`;
}

type TopicRow = [suffix: string, direction: MqttTopicSpec['direction'], summary: string, payload: z.ZodType];

const SHADOW_TOPIC_ROWS: TopicRow[] = [
  ['get', 'device-sends', 'Asks for the shadow document (an empty payload is allowed)', ShadowRequest],
  ['get/accepted', 'hub-sends', 'The shadow document, with its delta', ShadowDocument],
  ['get/rejected', 'hub-sends', 'Why a get failed (404 when there is no shadow)', ShadowErrorResponse],
  ['update', 'device-sends', 'Updates desired and/or reported state', ShadowUpdateRequest],
  ['update/accepted', 'hub-sends', 'The update as applied, with its metadata and the new version', ShadowUpdateAccepted],
  ['update/rejected', 'hub-sends', 'Why an update failed (400, 409 version conflict, 413 over 8 KB)', ShadowErrorResponse],
  ['update/delta', 'hub-sends', 'Desired state that differs from reported, after an update, when there is any', ShadowDelta],
  ['update/documents', 'hub-sends', 'The shadow before and after every accepted update', ShadowDocuments],
  ['delete', 'device-sends', 'Deletes the shadow (its version counter is kept)', ShadowRequest],
  ['delete/accepted', 'hub-sends', 'The deleted version', ShadowDeleteAccepted],
  ['delete/rejected', 'hub-sends', 'Why a delete failed (404 when there is no shadow)', ShadowErrorResponse],
];

const camel = (suffix: string): string =>
  suffix
    .split('/')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** Every Device Shadow topic, classic and named, for the AsyncAPI document. */
export const SHADOW_TOPICS: MqttTopicSpec[] = [
  { id: 'shadow', prefix: '$aws/things/{thingName}/shadow', kind: 'classic shadow' },
  { id: 'namedShadow', prefix: '$aws/things/{thingName}/shadow/name/{shadowName}', kind: 'named shadow' },
].flatMap(({ id, prefix, kind }) =>
  SHADOW_TOPIC_ROWS.map(([suffix, direction, summary, payload]) => ({
    id: `${id}${camel(suffix)}`,
    address: `${prefix}/${suffix}`,
    direction,
    summary: `${summary} (${kind}).`,
    payload,
  })),
);
