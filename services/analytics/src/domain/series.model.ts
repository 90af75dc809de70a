/**
 * One telemetry series: a numeric field of one thing's messages on one topic, in one workspace.
 * `stream` is the last level of `telemetry/{thingName}/{stream}`, or `''` for `telemetry/{thingName}`
 * (kept as a value, not null, so it can be part of a key).
 */
export interface SeriesId {
  workspaceId: string;
  thingName: string;
  stream: string;
  field: string;
}

/** One point of a series: the message's time (epoch ms) and the field's value. */
export interface SeriesPoint {
  series: SeriesId;
  epoch: number;
  value: number;
}

/** A series as one string, for maps; the parts cannot hold the separator (thing and stream names cannot). */
export const seriesKey = (series: SeriesId): string => `${series.workspaceId}/${series.thingName}/${series.stream}/${series.field}`;

/** The prefix every key of one thing's series starts with. */
export const thingKeyPrefix = (workspaceId: string, thingName: string): string => `${workspaceId}/${thingName}/`;
