import { createHash } from 'node:crypto';
import type { TelemetryRange } from '../../domain/telemetry.model.js';

/**
 * Key encodings of the DynamoDB telemetry tables. Strings compare by their UTF-8 bytes in DynamoDB
 * (as TEXT does in SQLite), so a zero-padded epoch followed by the topic sorts in (epoch, topic)
 * order, the order of the series query and of its paging cursor.
 */
const EPOCH_DIGITS = 15;
const LARGEST_EPOCH = 10 ** EPOCH_DIGITS - 1;

const padded = (epoch: number): string => String(Math.min(Math.max(epoch, 0), LARGEST_EPOCH)).padStart(EPOCH_DIGITS, '0');

/** Workspace and thing: the partition of a thing's series, so no query can reach another workspace. */
export const thingKey = (workspaceId: string, thingName: string): string => `${workspaceId}#${thingName}`;

export const seriesKey = (epoch: number, topic: string): string => `${padded(epoch)}#${topic}`;

/**
 * A topic of a thing in the `telemetry-topics` table, under its workspace: by thing, then topic. Every
 * character a thing name may hold sorts after `#`, so the keys of `a` all come before those of `a-b`.
 */
export const topicKey = (thingName: string, topic: string): string => `${thingName}#${topic}`;

/** The part of a topic key every key of the thing begins with. */
export const topicKeyPrefix = (thingName: string): string => `${thingName}#`;

/** Above every key of the thing (each goes on `#telemetry/`), below those of the things after it. */
export const afterTopicKeysOf = (thingName: string): string => `${thingName}#\uffff`;

export const thingOfTopicKey = (key: string): string => key.slice(0, key.indexOf('#'));

/**
 * The epoch a series key was made from. Reads take the epoch from here rather than from the item's
 * `epoch`, so a cursor built from a returned item is always that item's key: the AWS IoT rule
 * computes the two with separate `timestamp()` calls.
 */
export const epochOfSeriesKey = (key: string): number => Number(key.slice(0, EPOCH_DIGITS));

/** Identifies a device-stamped message by its timestamp and content, for its displaced copy. */
export const resendKey = (deviceEpoch: number, payload: string): string =>
  `${deviceEpoch}#${createHash('sha256').update(payload).digest('base64url')}`;

/** Orders dead letters of one thing by receive time, then by the order they were written. */
export const letterKey = (receivedAt: number, sequence: number, writer: string): string =>
  `${padded(receivedAt)}#${String(sequence).padStart(12, '0')}#${writer}`;

export interface SeriesBounds {
  lower: string;
  upper: string;
  /** The cursor's own item, which the inclusive bound includes and the page must not. */
  exclude?: string;
}

/**
 * The `seriesKey BETWEEN :lower AND :upper` bounds of a range: `#` ends every padded epoch in a key,
 * so `epoch + "$"` is above every key of that epoch and `epoch` alone below them. A cursor narrows
 * one end (it is the last item already returned). Undefined when the range is empty.
 */
export function seriesBounds(range: TelemetryRange): SeriesBounds | undefined {
  if (range.to !== undefined && range.to < 0) return undefined;
  let lower = range.from !== undefined ? padded(range.from) : '0';
  let upper = range.to !== undefined ? `${padded(range.to)}$` : '~';
  let exclude: string | undefined;
  if (range.after) {
    exclude = seriesKey(range.after.epoch, range.after.topic);
    if (range.order === 'asc' && exclude > lower) lower = exclude;
    if (range.order === 'desc' && exclude < upper) upper = exclude;
  }
  return lower <= upper ? { lower, upper, exclude } : undefined;
}
