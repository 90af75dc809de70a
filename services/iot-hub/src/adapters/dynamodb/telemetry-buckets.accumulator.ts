import type { AggregateBucket } from '../../domain/telemetry-buckets.rules.js';

/**
 * The number at a dotted field path of a document, as the SQLite adapter's
 * `json_type(payload, '$."a"."b"') IN ('integer', 'real')` finds it: each name an own member of an
 * object (never an array index, never what objects inherit), and only a JSON number counts, not
 * `true` nor a numeric string.
 */
export function numberAt(document: Record<string, unknown>, path: readonly string[]): number | undefined {
  let node: unknown = document;
  for (const name of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, name)) return undefined;
    node = (node as Record<string, unknown>)[name];
  }
  return typeof node === 'number' ? node : undefined;
}

interface BucketState {
  min: number;
  max: number;
  sum: number;
  /** Neumaier's compensation: the low-order bits the running sum has lost. */
  compensation: number;
  count: number;
  lastEpoch: number;
  last: number;
}

/**
 * Min, max, avg, count and last per bucket, computed in the application the way the SQLite adapter's
 * SQL computes them: a bucket starts at `epoch - epoch % size`; `last` is the value at the bucket's
 * largest epoch (on a tie, the one added last); the sum behind `avg` is compensated (SQLite's `avg`
 * uses Kahan-Babuska-Neumaier summation too), so long runs of reals do not drift.
 */
export class BucketAccumulator {
  private readonly buckets = new Map<number, BucketState>();

  constructor(private readonly size: number) {}

  add(epoch: number, value: number): void {
    const start = epoch - (epoch % this.size);
    const bucket = this.buckets.get(start);
    if (!bucket) {
      this.buckets.set(start, { min: value, max: value, sum: value, compensation: 0, count: 1, lastEpoch: epoch, last: value });
      return;
    }
    bucket.min = Math.min(bucket.min, value);
    bucket.max = Math.max(bucket.max, value);
    const sum = bucket.sum + value;
    bucket.compensation +=
      Math.abs(bucket.sum) >= Math.abs(value) ? bucket.sum - sum + value : value - sum + bucket.sum;
    bucket.sum = sum;
    bucket.count++;
    if (epoch >= bucket.lastEpoch) {
      bucket.lastEpoch = epoch;
      bucket.last = value;
    }
  }

  /** The non-empty buckets, oldest first. */
  result(): AggregateBucket[] {
    return [...this.buckets]
      .sort(([a], [b]) => a - b)
      .map(([bucketStart, { min, max, sum, compensation, count, last }]) => ({
        bucketStart,
        min,
        max,
        avg: (sum + compensation) / count,
        count,
        last,
      }));
  }
}
