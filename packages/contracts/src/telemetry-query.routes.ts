import type { ApiRoute } from './api-route.js';
import { TelemetryAggregates, TelemetryAggregatesQuery, TelemetryLatest, TelemetryLatestQuery } from './telemetry-query.schema.js';

const telemetry = { tag: 'telemetry', access: 'user', workspaceScoped: true } as const;

/** Queries over stored telemetry. A thing of another workspace answers 404, like one that does not exist. */
export const TELEMETRY_QUERY_ROUTES: ApiRoute[] = [
  {
    ...telemetry,
    operationId: 'aggregateTelemetry',
    method: 'get',
    path: '/api/v1/telemetry/aggregates',
    apiKeyScope: 'telemetry:read',
    summary: "A numeric field of a thing's telemetry, downsampled: min, max, avg, count and last per time bucket",
    description:
      '`field` is a top-level name or a dotted path (`env.temp`); values that are not numbers, or missing, are not ' +
      'counted. `from` and `to` are epoch milliseconds or ISO 8601 dates; `to` defaults to now and `from` to a day ' +
      'before `to`; the range may cover at most 366 days. `bucket` is one of 1s, 10s, 1m, 5m, 15m, 1h, 6h, 1d or a ' +
      'number of milliseconds; without it the smallest of 1s, 2s, 5s, 10s, 30s, 1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, ' +
      '3h, 6h, 12h, 1d that gives at most 500 buckets is used (so between 167 and 500 for ranges over 500 s). ' +
      'Buckets start at multiples of their size since the epoch (UTC days for 1d); a range spanning more than ' +
      '10,000 of them is refused. Only buckets holding a value are listed. `stream` narrows to ' +
      '`telemetry/{thingName}/{stream}`; without it every topic of the thing counts.',
    query: TelemetryAggregatesQuery,
    responses: { 200: { description: 'The non-empty buckets, oldest first', schema: TelemetryAggregates } },
    errors: [400, 401, 404],
  },
  {
    ...telemetry,
    operationId: 'getLatestTelemetry',
    method: 'get',
    path: '/api/v1/telemetry/latest',
    apiKeyScope: 'telemetry:read',
    summary: 'The latest stored message of each stream of some things, or of every thing of the workspace',
    description:
      '`thingName` names up to 100 things, comma-separated. Without it, every thing of the workspace that has ' +
      'telemetry is listed, `limit` things a page in thing-name order; pass `next` back as `cursor` for the next page.',
    query: TelemetryLatestQuery,
    responses: { 200: { description: 'One item per stream (topic) of each thing', schema: TelemetryLatest } },
    errors: [400, 401, 404],
  },
];
