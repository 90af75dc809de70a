import { z } from 'zod';
import { ThingName } from './device.schema.js';
import { TelemetryQuery } from './telemetry.schema.js';

/** The named bucket sizes a caller may ask for, in milliseconds. */
export const NAMED_BUCKETS = {
  '1s': 1_000,
  '10s': 10_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '6h': 21_600_000,
  '1d': 86_400_000,
} as const;

/** The most buckets one aggregates query may span, empty ones included. */
export const MAX_AGGREGATE_BUCKETS = 10_000;
/** The longest range one aggregates query may cover. */
export const MAX_AGGREGATE_RANGE_MS = 366 * 86_400_000;
/** The range of an aggregates query that gives no `from`: the day before `to`. */
export const DEFAULT_AGGREGATE_RANGE_MS = 86_400_000;
/** The most things one latest-values query may name, and the largest page of them. */
export const MAX_LATEST_THINGS = 100;

/** Epoch milliseconds or an ISO 8601 date, read as the raw series read reads it. */
const TimeParam = TelemetryQuery.shape.from;

const isNamedBucket = (value: string): value is keyof typeof NAMED_BUCKETS => Object.hasOwn(NAMED_BUCKETS, value);

/** A bucket size: one of the named sizes, or a whole number of milliseconds up to the longest range. */
const BucketParam = z
  .string()
  .refine((value) => isNamedBucket(value) || /^\d{1,11}$/.test(value), {
    message: `a bucket is one of ${Object.keys(NAMED_BUCKETS).join(', ')} or a number of milliseconds`,
  })
  .transform((value) => (isNamedBucket(value) ? NAMED_BUCKETS[value] : Number(value)))
  .pipe(z.number().int().min(1).max(MAX_AGGREGATE_RANGE_MS));

/**
 * A numeric field of the payload: a top-level name (`value`) or a dotted path into nested objects
 * (`env.temp`). Segments are names only: no quotes or brackets, so the path can never address
 * anything but an object member.
 */
export const TelemetryField = z
  .string()
  .regex(/^[A-Za-z0-9_@:$-]{1,64}(\.[A-Za-z0-9_@:$-]{1,64}){0,7}$/, 'a field is a name or a dotted path of up to 8 names (letters, digits, _ @ : $ -)');

/** A stream of a thing: the last level of `telemetry/{thingName}/{stream}`. */
export const TelemetryStream = z.string().regex(/^[a-zA-Z0-9:_-]{1,128}$/, 'invalid stream name');

export const TelemetryAggregatesQuery = z
  .object({
    thingName: ThingName,
    field: TelemetryField,
    from: TimeParam,
    to: TimeParam,
    bucket: BucketParam.optional(),
    stream: TelemetryStream.optional(),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
    message: '"from" must not be later than "to"',
    path: ['from'],
  });
export type TelemetryAggregatesQuery = z.infer<typeof TelemetryAggregatesQuery>;

/** One time bucket of a field's values; only numeric values count. */
export const TelemetryBucket = z.object({
  /** Epoch milliseconds: a multiple of the bucket size. */
  bucketStart: z.number().int(),
  min: z.number(),
  max: z.number(),
  avg: z.number(),
  count: z.number().int().positive(),
  /** The value of the bucket's latest message. */
  last: z.number(),
});
export type TelemetryBucket = z.infer<typeof TelemetryBucket>;

/** `GET /api/v1/telemetry/aggregates`: the non-empty buckets of the range, oldest first. */
export const TelemetryAggregates = z.object({
  thingName: z.string(),
  field: z.string(),
  stream: z.string().optional(),
  from: z.number().int(),
  to: z.number().int(),
  /** The bucket size used, in milliseconds. */
  bucket: z.number().int().positive(),
  buckets: z.array(TelemetryBucket),
});
export type TelemetryAggregates = z.infer<typeof TelemetryAggregates>;

/** Comma-separated thing names, each once. */
const ThingNameList = z
  .string()
  .transform((value) => value.split(','))
  .pipe(z.array(ThingName).min(1).max(MAX_LATEST_THINGS, `at most ${MAX_LATEST_THINGS} things at once`))
  .transform((names) => [...new Set(names)]);

export const TelemetryLatestQuery = z.object({
  thingName: ThingNameList.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LATEST_THINGS).default(MAX_LATEST_THINGS),
  cursor: ThingName.optional(),
});
export type TelemetryLatestQuery = z.infer<typeof TelemetryLatestQuery>;

/** The latest stored message of one stream (topic) of a thing. */
export const TelemetryLatestItem = z.object({
  thingName: z.string(),
  topic: z.string(),
  epoch: z.number().int(),
  payload: z.record(z.string(), z.unknown()),
});
export type TelemetryLatestItem = z.infer<typeof TelemetryLatestItem>;

/** `GET /api/v1/telemetry/latest`; `next` only when no thing was named and more things follow. */
export const TelemetryLatest = z.object({ items: z.array(TelemetryLatestItem), next: z.string().optional() });
export type TelemetryLatest = z.infer<typeof TelemetryLatest>;
