import { z } from 'zod';
import { ThingName } from './device.schema.js';
import { TelemetryItem } from './telemetry.schema.js';

/** The query of the per-thing telemetry reads that take nothing but the thing. */
export const TelemetryThingQuery = z.object({ thingName: ThingName });
export type TelemetryThingQuery = z.infer<typeof TelemetryThingQuery>;

/** A message the hub acknowledged but could not store as telemetry (bad JSON, failed schema). */
export const DeadLetter = z.object({
  topic: z.string(),
  reason: z.string(),
  /** Epoch milliseconds. */
  receivedAt: z.number().int(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/** `GET /api/v1/telemetry/dead-letters`: how many a thing has, and the latest few. */
export const DeadLetterSummary = z.object({ count: z.number().int().nonnegative(), recent: z.array(DeadLetter) });
export type DeadLetterSummary = z.infer<typeof DeadLetterSummary>;

/**
 * The `data` of each `telemetry` event of `GET /api/v1/telemetry/stream` (server-sent events):
 * the messages of the thing stored in one write, as JSON.
 */
export const TelemetryStreamEvent = z.array(TelemetryItem);
export type TelemetryStreamEvent = z.infer<typeof TelemetryStreamEvent>;
