import type { ApiRoute } from './api-route.js';
import { RetentionSetting, RetentionUpdateRequest } from './retention.schema.js';

/** The workspace's telemetry retention period: any member reads it, a workspace admin sets it. */
export const RETENTION_ROUTES: ApiRoute[] = [
  {
    operationId: 'getTelemetryRetention',
    method: 'get',
    path: '/api/v1/telemetry/retention',
    summary: "The workspace's telemetry retention period and its latest sweep",
    tag: 'telemetry',
    access: 'user',
    workspaceScoped: true,
    responses: { 200: { description: 'The retention setting', schema: RetentionSetting } },
    errors: [401, 404],
  },
  {
    operationId: 'setTelemetryRetention',
    method: 'put',
    path: '/api/v1/telemetry/retention',
    summary: "Set the workspace's telemetry retention period",
    description:
      '`days` from 1 to 3650, or `null` to keep telemetry forever (the default). Telemetry older than the ' +
      'period (by its epoch) and dead letters older than it (by receive time) are deleted in the background, ' +
      'a little at a time, by a sweep every `CITUS_RETENTION_SWEEP_SECONDS`.',
    tag: 'telemetry',
    access: 'workspace-admin',
    workspaceScoped: true,
    body: RetentionUpdateRequest,
    responses: { 200: { description: 'The retention setting', schema: RetentionSetting } },
    errors: [400, 401, 403, 404],
  },
];
