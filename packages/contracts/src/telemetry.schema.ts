import { z } from 'zod';
import { ThingName } from './device.schema.js';

const Timestamp = z.union([z.number().finite(), z.string().max(64)]);

/** Deeper JSON than this is refused: it would break serialisers and is never real telemetry. */
export const MAX_PAYLOAD_DEPTH = 32;

/**
 * Levels of objects and arrays in a JSON value (`{"a": 1}` is 1, a plain value 0), counted without
 * recursion so a hostile document cannot overflow the stack; stops counting once past `limit`.
 */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const depthOf = (value: unknown): number => jsonDepth(value, MAX_PAYLOAD_DEPTH);

/**
 * A telemetry message, in the original's shape (value, unit, label, temperature, humidity); any
 * further fields are kept as they are.
 */
export const TelemetryPayload = z.looseObject({
  '@timestamp': Timestamp.optional(),
  timestamp: Timestamp.optional(),
  value: z.number().finite().optional(),
  unit: z.string().max(32).optional(),
  label: z.string().max(120).optional(),
  temperature: z.number().finite().optional(),
  humidity: z.number().finite().optional(),
}).refine((payload) => depthOf(payload) <= MAX_PAYLOAD_DEPTH, { message: `nested deeper than ${MAX_PAYLOAD_DEPTH} levels` });
export type TelemetryPayload = z.infer<typeof TelemetryPayload>;

/** AWS IoT's largest MQTT message payload, which the built-in hub enforces too: 128 KB. */
export const MAX_MQTT_PAYLOAD_BYTES = 128 * 1024;

/** `telemetry/{thingName}` or `telemetry/{thingName}/{stream}`. */
export const TELEMETRY_TOPIC = /^telemetry\/([a-zA-Z0-9:_-]{1,128})(?:\/([a-zA-Z0-9:_-]{1,128}))?$/;

export function telemetryTopic(thingName: string, stream?: string): string {
  return stream ? `telemetry/${thingName}/${stream}` : `telemetry/${thingName}`;
}

/** Epoch milliseconds, or an ISO 8601 date. */
const TimeParam = z.union([
  z.string().regex(/^\d{1,15}$/).transform(Number),
  z.iso.datetime({ offset: true }).transform((value) => Date.parse(value)),
]);

export const TelemetryQuery = z.object({
  thingName: ThingName,
  from: TimeParam.optional(),
  to: TimeParam.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  order: z.enum(['asc', 'desc']).default('asc'),
  cursor: z.string().max(512).optional(),
}).refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
  message: '"from" must not be later than "to"',
  path: ['from'],
});
export type TelemetryQuery = z.infer<typeof TelemetryQuery>;

export const TelemetryItem = z.object({
  topic: z.string(),
  epoch: z.number().int(),
  payload: z.record(z.string(), z.unknown()),
});
export type TelemetryItem = z.infer<typeof TelemetryItem>;

export const TelemetryPage = z.object({ items: z.array(TelemetryItem), next: z.string().optional() });
export type TelemetryPage = z.infer<typeof TelemetryPage>;
