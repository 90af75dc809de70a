import type { ApiRoute } from './api-route.js';
import { AlertRule, AlertRuleList, AlertRulePathParams, AlertRuleRequest } from './alert-rule.schema.js';

const WRITE_ERRORS: ApiRoute['errors'] = [400, 401, 403, 404, 413];

/**
 * Alert rules (issue 8 point 6): on an anomaly or a threshold, a signed webhook and/or desired
 * state on the device's shadow. Members read them; developers and admins change them.
 */
export const ALERT_ROUTES: ApiRoute[] = [
  {
    operationId: 'createAlertRule',
    method: 'post',
    path: '/api/v1/alert-rules',
    summary: 'Create an alert rule (developer role)',
    description:
      'A webhook action names a workspace secret (`PUT /api/v1/secrets/{name}`) that signs each delivery: ' +
      '`X-Citus-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. Webhook URLs are https ' +
      '(http only for a loopback host). A rule fires at most once per series per `cooldownSeconds`.',
    tag: 'alerts',
    access: 'user',
    workspaceScoped: true,
    body: AlertRuleRequest,
    responses: { 201: { description: 'The rule', schema: AlertRule } },
    errors: WRITE_ERRORS,
  },
  {
    operationId: 'listAlertRules',
    method: 'get',
    path: '/api/v1/alert-rules',
    summary: "List the workspace's alert rules, each with its last delivery",
    tag: 'alerts',
    access: 'user',
    workspaceScoped: true,
    responses: { 200: { description: 'The rules', schema: AlertRuleList } },
    errors: [401, 404],
  },
  {
    operationId: 'getAlertRule',
    method: 'get',
    path: '/api/v1/alert-rules/{ruleId}',
    summary: 'An alert rule and its last delivery (status and error of each action)',
    tag: 'alerts',
    access: 'user',
    workspaceScoped: true,
    params: AlertRulePathParams,
    responses: { 200: { description: 'The rule', schema: AlertRule } },
    errors: [400, 401, 404],
  },
  {
    operationId: 'replaceAlertRule',
    method: 'put',
    path: '/api/v1/alert-rules/{ruleId}',
    summary: 'Replace an alert rule (developer role); its cool-downs start afresh',
    tag: 'alerts',
    access: 'user',
    workspaceScoped: true,
    params: AlertRulePathParams,
    body: AlertRuleRequest,
    responses: { 200: { description: 'The rule', schema: AlertRule } },
    errors: WRITE_ERRORS,
  },
  {
    operationId: 'deleteAlertRule',
    method: 'delete',
    path: '/api/v1/alert-rules/{ruleId}',
    summary: 'Delete an alert rule (developer role)',
    tag: 'alerts',
    access: 'user',
    workspaceScoped: true,
    params: AlertRulePathParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404],
  },
];
