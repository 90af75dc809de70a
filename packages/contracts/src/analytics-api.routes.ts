import type { ApiRoute } from './api-route.js';
import {
  AnomalyPage,
  AnomalyQuery,
  AnomalySettings,
  AnomalyStreamEvent,
  AnomalyStreamQuery,
  SeriesKey,
  SeriesSettings,
  SeriesSettingsUpdate,
} from './anomaly.schema.js';

const analytics = { tag: 'analytics', access: 'user', workspaceScoped: true } as const;

/**
 * Streaming anomaly detection (issue 8 point 1): every numeric field of every telemetry series is
 * scored online by a detector; points at or above the series' threshold are anomalies. Members read
 * anomalies and settings; developers and admins change settings. A series is a thing's topic and a
 * field path; a thing of another workspace answers 404, like one that does not exist.
 */
export const ANALYTICS_ROUTES: ApiRoute[] = [
  {
    ...analytics,
    operationId: 'listAnomalies',
    method: 'get',
    path: '/api/v1/anomalies',
    apiKeyScope: 'telemetry:read',
    summary: "The workspace's anomalies, newest first, a page at a time",
    description:
      '`thingName` and `field` narrow to a thing or a field path; `from` and `to` (epoch milliseconds or ISO 8601 ' +
      'dates) to a range of the points\' times. Pass `next` back for the following page. Detection trails the ' +
      'telemetry store: an anomaly shows shortly after the message that caused it was stored.',
    query: AnomalyQuery,
    responses: { 200: { description: 'A page of anomalies', schema: AnomalyPage } },
    errors: [400, 401, 404],
  },
  {
    ...analytics,
    operationId: 'streamAnomalies',
    method: 'get',
    path: '/api/v1/anomalies/stream',
    apiKeyScope: 'telemetry:read',
    summary: "The workspace's new anomalies, live, as server-sent events",
    description:
      'Each anomaly arrives as an `event: anomaly` whose `data` is the anomaly as JSON; `thingName` narrows to one ' +
      'thing. Comments keep the stream alive every 15 s. Read it with fetch(), so the token stays in the ' +
      'Authorization header.',
    query: AnomalyStreamQuery,
    responses: { 200: { description: 'An event stream', contentType: 'text/event-stream', schema: AnomalyStreamEvent } },
    errors: [400, 401, 404],
  },
  {
    ...analytics,
    operationId: 'getAnomalySettings',
    method: 'get',
    path: '/api/v1/anomalies/settings',
    summary: "The workspace's detection settings: default detector, threshold, enabled",
    responses: { 200: { description: 'The settings', schema: AnomalySettings } },
    errors: [401, 404],
  },
  {
    ...analytics,
    operationId: 'setAnomalySettings',
    method: 'put',
    path: '/api/v1/anomalies/settings',
    summary: "Set the workspace's detection settings (developer role)",
    description:
      '`detector` must be one the service knows; `threshold` in [0, 1], or `null` for the detector\'s own default. ' +
      'A series whose detector changes starts learning afresh.',
    body: AnomalySettings,
    responses: { 200: { description: 'The settings', schema: AnomalySettings } },
    errors: [400, 401, 403, 404, 413],
  },
  {
    ...analytics,
    operationId: 'getSeriesSettings',
    method: 'get',
    path: '/api/v1/anomalies/settings/series',
    summary: "A series' overrides and the settings that apply to it",
    query: SeriesKey,
    responses: { 200: { description: "The series' settings", schema: SeriesSettings } },
    errors: [400, 401, 404],
  },
  {
    ...analytics,
    operationId: 'setSeriesSettings',
    method: 'put',
    path: '/api/v1/anomalies/settings/series',
    summary: "Set a series' overrides of the workspace's settings (developer role)",
    description: 'The body replaces the overrides; a field left out follows the workspace. A changed detector starts the series afresh.',
    query: SeriesKey,
    body: SeriesSettingsUpdate,
    responses: { 200: { description: "The series' settings", schema: SeriesSettings } },
    errors: [400, 401, 403, 404, 413],
  },
  {
    ...analytics,
    operationId: 'deleteSeriesSettings',
    method: 'delete',
    path: '/api/v1/anomalies/settings/series',
    summary: "Drop a series' overrides: it follows the workspace again (developer role)",
    query: SeriesKey,
    responses: { 204: { description: 'Dropped (or there were none)' } },
    errors: [400, 401, 403, 404],
  },
];
