import { z } from 'zod';
import { ThingName } from './device.schema.js';
import { TelemetryStream } from './telemetry-query.schema.js';
import { TelemetryQuery } from './telemetry.schema.js';

/** The largest page of anomalies. */
export const MAX_ANOMALY_LIMIT = 1000;
/** Longer field paths are not series: a payload nested that deep is cut there. */
export const MAX_FIELD_PATH = 256;

/** A numeric field of a payload: its keys from the top, joined with `.` (`engine.temperature`). */
export const SeriesField = z.string().min(1).max(MAX_FIELD_PATH);

/** An anomaly score in [0, 1]; a point whose score reaches the series' threshold is an anomaly. */
export const AnomalyScore = z.number().min(0).max(1);

/** A detector by name; the analytics service knows which names exist and refuses others (400). */
export const DetectorName = z.string().min(1).max(64);

/** One telemetry series: a numeric field of one thing's messages on one topic. */
export const SeriesKey = z.object({
  thingName: ThingName,
  /** Absent for `telemetry/{thingName}`. */
  stream: TelemetryStream.optional(),
  field: SeriesField,
});
export type SeriesKey = z.infer<typeof SeriesKey>;

/** A point of a series its detector scored at or above the series' threshold. */
export const Anomaly = SeriesKey.extend({
  id: z.string(),
  workspaceId: z.string(),
  /** The point's time, epoch milliseconds (the message's). */
  epoch: z.number().int(),
  value: z.number(),
  score: AnomalyScore,
  detector: DetectorName,
});
export type Anomaly = z.infer<typeof Anomaly>;

/** `GET /api/v1/anomalies`. */
export const AnomalyQuery = z
  .object({
    thingName: ThingName.optional(),
    field: SeriesField.optional(),
    from: TelemetryQuery.shape.from,
    to: TelemetryQuery.shape.to,
    limit: z.coerce.number().int().min(1).max(MAX_ANOMALY_LIMIT).default(100),
    /** The `next` of the previous page. */
    next: z.string().max(512).optional(),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
    message: '"from" must not be later than "to"',
    path: ['from'],
  });
export type AnomalyQuery = z.infer<typeof AnomalyQuery>;

/** Newest first; `next`, when present, fetches the following (older) page. */
export const AnomalyPage = z.object({ items: z.array(Anomaly), next: z.string().optional() });
export type AnomalyPage = z.infer<typeof AnomalyPage>;

/** `GET /api/v1/anomalies/stream`: the workspace's anomalies, or one thing's. */
export const AnomalyStreamQuery = z.object({ thingName: ThingName.optional() });
export type AnomalyStreamQuery = z.infer<typeof AnomalyStreamQuery>;

/** The `data` of each `anomaly` event of `GET /api/v1/anomalies/stream`: one anomaly, as JSON. */
export const AnomalyStreamEvent = Anomaly;
export type AnomalyStreamEvent = z.infer<typeof AnomalyStreamEvent>;

/**
 * A workspace's detection settings: the detector every series uses unless its own settings name
 * another, the threshold (`null`: the detector's own default), and whether series are scored at all.
 * Also the body of `PUT /api/v1/anomalies/settings`, which replaces them whole.
 */
export const AnomalySettings = z.strictObject({
  detector: DetectorName,
  threshold: AnomalyScore.nullable(),
  enabled: z.boolean(),
});
export type AnomalySettings = z.infer<typeof AnomalySettings>;

/** One series' overrides of its workspace's settings; an absent one follows the workspace. */
export const SeriesSettingsUpdate = z.strictObject({
  detector: DetectorName.optional(),
  threshold: AnomalyScore.optional(),
  enabled: z.boolean().optional(),
});
export type SeriesSettingsUpdate = z.infer<typeof SeriesSettingsUpdate>;

/** A series' settings: its own overrides and what applies to it once the workspace's are added. */
export const SeriesSettings = SeriesKey.extend({
  overrides: SeriesSettingsUpdate,
  effective: z.object({ detector: DetectorName, threshold: AnomalyScore, enabled: z.boolean() }),
});
export type SeriesSettings = z.infer<typeof SeriesSettings>;
