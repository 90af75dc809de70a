import { DEFAULT_AGGREGATE_RANGE_MS, MAX_AGGREGATE_BUCKETS, MAX_AGGREGATE_RANGE_MS } from '@citus/contracts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * The sizes a range picks from when the caller names none. No step is more than 3 times the one
 * before, so the smallest size giving at most `AUTO_BUCKETS_MAX` buckets gives more than a third
 * of that: between 167 and 500 buckets, enough for a chart and few enough to draw.
 */
export const AUTO_BUCKET_SIZES: readonly number[] = [
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR,
];
export const AUTO_BUCKETS_MAX = 500;

/** A range already resolved to epoch milliseconds, both ends included. */
export interface AggregateWindow {
  from: number;
  to: number;
  bucket: number;
}

/** Why a window cannot be aggregated (or its items read); the route turns it into a 400. */
export type WindowProblem = { problem: string };

/**
 * How many buckets of `size` the range touches: buckets start at multiples of their size since
 * the epoch, so a range may touch a partial bucket at each end.
 */
export function bucketCount(from: number, to: number, size: number): number {
  return Math.floor(to / size) - Math.floor(from / size) + 1;
}

/** The smallest of the automatic sizes that keeps the range within `AUTO_BUCKETS_MAX` buckets. */
export function chooseBucket(from: number, to: number): number {
  const fitting = AUTO_BUCKET_SIZES.find((size) => bucketCount(from, to, size) <= AUTO_BUCKETS_MAX);
  return fitting ?? (AUTO_BUCKET_SIZES.at(-1) as number);
}

/**
 * The window of an aggregates query: `to` defaults to now and `from` to a day before `to`; the
 * bucket is the caller's or chosen by the range. Too long a range, or one that would make more
 * than `MAX_AGGREGATE_BUCKETS` buckets, is a problem to report rather than a query to run.
 */
export function aggregateWindow(
  request: { from?: number; to?: number; bucket?: number },
  now: number,
): AggregateWindow | WindowProblem {
  const to = request.to ?? now;
  const from = request.from ?? to - DEFAULT_AGGREGATE_RANGE_MS;
  if (from > to) return { problem: '"from" must not be later than "to"' };
  if (to - from > MAX_AGGREGATE_RANGE_MS) {
    return { problem: `the range may cover at most ${MAX_AGGREGATE_RANGE_MS / 86_400_000} days` };
  }
  const bucket = request.bucket ?? chooseBucket(from, to);
  const count = bucketCount(from, to, bucket);
  if (count > MAX_AGGREGATE_BUCKETS) {
    return {
      problem: `a bucket of ${bucket} ms over this range makes ${count} buckets; the most is ${MAX_AGGREGATE_BUCKETS}: choose a larger bucket or a shorter range`,
    };
  }
  return { from, to, bucket };
}

/** One bucket of a field's numeric values. */
export interface AggregateBucket {
  bucketStart: number;
  min: number;
  max: number;
  avg: number;
  count: number;
  last: number;
}

export interface LatestMessage {
  thingName: string;
  topic: string;
  epoch: number;
  payload: Record<string, unknown>;
}

/**
 * Port: queries over the telemetry table, scoped to a workspace. It lives beside the bucket rules
 * because the windows it is given come from them.
 */
export interface TelemetryQueries {
  /**
   * The non-empty buckets of a numeric field, oldest first; `topic` narrows to one stream. A store
   * that aggregates by reading the items may find the window holds more than it will read in one
   * request: that is a problem for the caller to narrow, like a window too long.
   */
  aggregate(
    scope: { workspaceId: string; thingName: string; topic?: string },
    field: string,
    window: AggregateWindow,
  ): Promise<AggregateBucket[] | WindowProblem>;
  /** The latest message of each topic of each thing, in thing then topic order. */
  latest(workspaceId: string, thingNames: readonly string[]): Promise<LatestMessage[]>;
  /** Up to `limit` things of the workspace that have telemetry, in name order, after `after`. */
  thingsWithTelemetry(workspaceId: string, limit: number, after?: string): Promise<string[]>;
}
