import { z } from 'zod';
import { ThingName } from './device.schema.js';
import { ShadowName } from './shadow.schema.js';
import { MAX_MQTT_PAYLOAD_BYTES, TELEMETRY_TOPIC } from './telemetry.schema.js';

/**
 * The device plane's part of the internal API (`/internal/v1`, behind the service token): what
 * analytics asks of the device registry and the hub when it runs in a process of its own. Each
 * request names the workspace it acts for; a thing of another workspace answers 404, like none.
 */

const WorkspaceId = z.string().min(1).max(64);

/**
 * The 404's message for a thing that is not the workspace's (or no thing at all), so the caller
 * can tell it from a route the process does not serve (`no such route`: a process without the
 * device plane, or without a service token, at the configured URL).
 */
export const INTERNAL_THING_NOT_FOUND = 'thing not found';

export const InternalThingPathParams = z.object({ thingName: ThingName });

/** `GET /things/{thingName}`: the workspace the thing belongs to (404 for no such thing). */
export const InternalThing = z.object({ workspaceId: WorkspaceId });
export type InternalThing = z.infer<typeof InternalThing>;

/** `POST /things/{thingName}/shadow`: an update of the thing's shadow, as a device or the API would send it. */
export const InternalShadowUpdate = z.strictObject({
  workspaceId: WorkspaceId,
  shadowName: ShadowName.optional(),
  body: z.unknown(),
});
export type InternalShadowUpdate = z.infer<typeof InternalShadowUpdate>;

/** The shadow service's outcome as a value: a refusal is AWS's shadow error (code and message), answered with 200. */
export const InternalShadowOutcome = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.number().int(), message: z.string() }) }),
]);
export type InternalShadowOutcome = z.infer<typeof InternalShadowOutcome>;

/** Base64 of at most an MQTT message's largest payload. */
const Base64Payload = z
  .string()
  .max(Math.ceil(MAX_MQTT_PAYLOAD_BYTES / 3) * 4)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

/**
 * `POST /telemetry`: a message through the hub's telemetry rule, under the session it is stored
 * as (the platform's own client for analysers' results), on a telemetry topic of that thing.
 */
export const InternalTelemetryIngest = z
  .strictObject({
    session: z.strictObject({
      clientId: z.string().min(1).max(128),
      thingName: ThingName,
      workspaceId: WorkspaceId,
      certificateId: z.string().min(1).max(128),
    }),
    topic: z.string().max(300),
    payload: Base64Payload,
  })
  .refine((request) => TELEMETRY_TOPIC.exec(request.topic)?.[1] === request.session.thingName, {
    path: ['topic'],
    message: "a telemetry topic of the session's thing",
  });
export type InternalTelemetryIngest = z.infer<typeof InternalTelemetryIngest>;

export const InternalIngestOutcome = z.object({ kind: z.enum(['stored', 'duplicate', 'dead-lettered']) });
export type InternalIngestOutcome = z.infer<typeof InternalIngestOutcome>;
