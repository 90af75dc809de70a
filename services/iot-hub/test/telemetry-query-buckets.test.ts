import { MAX_AGGREGATE_BUCKETS } from '@citus/contracts';
import { AUTO_BUCKET_SIZES, aggregateWindow, bucketCount, chooseBucket } from '../src/domain/telemetry-buckets.rules.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 0, 1); // a multiple of every bucket size

describe('telemetry bucket rules', () => {
  it.each([
    ['a minute', MINUTE, SECOND, 61],
    ['ten minutes', 10 * MINUTE, 2 * SECOND, 301],
    ['an hour', HOUR, 10 * SECOND, 361],
    ['a day', DAY, 5 * MINUTE, 289],
    ['a week', 7 * DAY, 30 * MINUTE, 337],
    ['thirty days', 30 * DAY, 2 * HOUR, 361],
    ['a year', 365 * DAY, DAY, 366],
  ])('picks the bucket for %s of range', (_name, range, bucket, count) => {
    expect(chooseBucket(T0, T0 + range)).toBe(bucket);
    expect(bucketCount(T0, T0 + range, bucket)).toBe(count);
  });

  it('keeps every automatic choice between 167 and 500 buckets once the range passes 500 s', () => {
    for (let range = 500 * SECOND; range <= 366 * DAY; range = Math.ceil(range * 1.07)) {
      const count = bucketCount(T0 + 123, T0 + 123 + range, chooseBucket(T0 + 123, T0 + 123 + range));
      expect([range, count >= 167 && count <= 500]).toEqual([range, true]);
    }
    AUTO_BUCKET_SIZES.slice(1).forEach((size, i) => expect(size / (AUTO_BUCKET_SIZES[i] as number)).toBeLessThanOrEqual(3));
  });

  it('uses 1 s buckets for ranges too short to fill 100', () => {
    expect(chooseBucket(T0, T0 + 5 * SECOND)).toBe(SECOND);
    expect(chooseBucket(T0, T0)).toBe(SECOND);
  });

  it('counts the partial buckets at both ends of an unaligned range', () => {
    expect(bucketCount(T0 + 59 * SECOND, T0 + 61 * SECOND, MINUTE)).toBe(2);
    expect(bucketCount(T0, T0 + MINUTE - 1, MINUTE)).toBe(1);
    expect(bucketCount(T0, T0 + MINUTE, MINUTE)).toBe(2);
  });

  it('defaults to the day before now, and keeps a bucket the caller chose', () => {
    expect(aggregateWindow({}, T0)).toEqual({ from: T0 - DAY, to: T0, bucket: 5 * MINUTE });
    expect(aggregateWindow({ to: T0 + HOUR }, T0)).toEqual({ from: T0 + HOUR - DAY, to: T0 + HOUR, bucket: 5 * MINUTE });
    expect(aggregateWindow({ from: T0, to: T0 + HOUR, bucket: 15 * MINUTE }, 0)).toEqual({ from: T0, to: T0 + HOUR, bucket: 15 * MINUTE });
    expect(aggregateWindow({ from: T0 }, T0 + HOUR)).toEqual({ from: T0, to: T0 + HOUR, bucket: 10 * SECOND });
  });

  it('refuses more buckets than the limit, a range over 366 days and a reversed range', () => {
    const atLimit = aggregateWindow({ from: T0, to: T0 + (MAX_AGGREGATE_BUCKETS - 1) * SECOND, bucket: SECOND }, 0);
    expect(atLimit).toMatchObject({ bucket: SECOND });
    expect(aggregateWindow({ from: T0, to: T0 + MAX_AGGREGATE_BUCKETS * SECOND, bucket: SECOND }, 0)).toEqual({
      problem: 'a bucket of 1000 ms over this range makes 10001 buckets; the most is 10000: choose a larger bucket or a shorter range',
    });
    expect(aggregateWindow({ from: T0, to: T0 + 367 * DAY }, 0)).toEqual({ problem: 'the range may cover at most 366 days' });
    expect(aggregateWindow({ from: T0 + 1, to: T0 }, 0)).toEqual({ problem: '"from" must not be later than "to"' });
  });
});
