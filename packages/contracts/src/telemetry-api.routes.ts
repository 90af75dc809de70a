import type { ApiRoute } from './api-route.js';
import { DeadLetterSummary, TelemetryStreamEvent, TelemetryThingQuery } from './telemetry-api.schema.js';
import { TelemetryPage, TelemetryQuery } from './telemetry.schema.js';

const telemetry = { tag: 'telemetry', access: 'user', workspaceScoped: true } as const;

/**
 * The hub's telemetry reads. A thing of another workspace answers 404, like one that does not
 * exist.
 */
export const TELEMETRY_ROUTES: ApiRoute[] = [
  {
    ...telemetry,
    operationId: 'queryTelemetry',
    method: 'get',
    path: '/api/v1/telemetry',
    apiKeyScope: 'telemetry:read',
    summary: "A thing's telemetry by time range, a page at a time",
    description: '`from` and `to` are epoch milliseconds or ISO 8601 dates; pass `next` back as `cursor` for the next page.',
    query: TelemetryQuery,
    responses: { 200: { description: 'A page of messages', schema: TelemetryPage } },
    errors: [400, 401, 404],
  },
  {
    ...telemetry,
    operationId: 'getDeadLetters',
    method: 'get',
    path: '/api/v1/telemetry/dead-letters',
    apiKeyScope: 'telemetry:read',
    summary: "A thing's messages that could not be stored: how many, and the latest 20",
    query: TelemetryThingQuery,
    responses: { 200: { description: 'Dead letters', schema: DeadLetterSummary } },
    errors: [400, 401, 404],
  },
  {
    ...telemetry,
    operationId: 'streamTelemetry',
    method: 'get',
    path: '/api/v1/telemetry/stream',
    apiKeyScope: 'telemetry:read',
    summary: "A thing's newly stored messages, live, as server-sent events",
    description:
      'Each write of the thing\'s messages arrives as an `event: telemetry` whose `data` is a JSON array of ' +
      'messages; comments keep the stream alive every 15 s. Read it with fetch(), so the token stays in the ' +
      'Authorization header.',
    query: TelemetryThingQuery,
    responses: {
      200: { description: 'An event stream', contentType: 'text/event-stream', schema: TelemetryStreamEvent },
    },
    errors: [400, 401, 404],
  },
];
