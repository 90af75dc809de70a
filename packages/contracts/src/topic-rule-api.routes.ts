import type { ApiRoute } from './api-route.js';
import { CreatedTopicRule, CreateTopicRuleRequest, ReplaceTopicRuleRequest, TopicRule, TopicRuleList, TopicRulePathParams } from './topic-rule.schema.js';

const reader = { tag: 'rules', access: 'user', workspaceScoped: true } as const;
const writer = { tag: 'rules', access: 'workspace-admin', workspaceScoped: true } as const;

const SAVE_CHECKS =
  'The SQL (AWS IoT SQL 2016-03-23) and every `${...}` template in the actions are checked here: what the hub cannot run is a 400 whose details give the position.';

/**
 * Topic rules of the caller's workspace: every message route is one, the stored telemetry included
 * (`store_telemetry`). Reading: any member; writing: a workspace admin. A rule of another workspace
 * answers 404, like one that does not exist.
 */
export const TOPIC_RULE_ROUTES: ApiRoute[] = [
  {
    ...writer,
    operationId: 'createTopicRule',
    method: 'post',
    path: '/api/v1/rules',
    summary: 'Create a topic rule',
    description: `${SAVE_CHECKS} The answer carries the secret the rule's http actions sign with, this once.`,
    body: CreateTopicRuleRequest,
    responses: { 201: { description: 'The rule and its signing secret', schema: CreatedTopicRule } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    ...reader,
    operationId: 'listTopicRules',
    method: 'get',
    path: '/api/v1/rules',
    summary: "List the workspace's topic rules",
    responses: { 200: { description: 'Rules, by name', schema: TopicRuleList } },
    errors: [401, 404],
  },
  {
    ...reader,
    operationId: 'getTopicRule',
    method: 'get',
    path: '/api/v1/rules/{ruleName}',
    summary: 'Get a topic rule',
    params: TopicRulePathParams,
    responses: { 200: { description: 'The rule', schema: TopicRule } },
    errors: [400, 401, 404],
  },
  {
    ...writer,
    operationId: 'replaceTopicRule',
    method: 'put',
    path: '/api/v1/rules/{ruleName}',
    summary: "Replace a topic rule's definition",
    description: `${SAVE_CHECKS} Messages that arrive from then on see the new definition.`,
    params: TopicRulePathParams,
    body: ReplaceTopicRuleRequest,
    responses: { 200: { description: 'The rule', schema: TopicRule } },
    errors: [400, 401, 403, 404],
  },
  {
    ...writer,
    operationId: 'enableTopicRule',
    method: 'post',
    path: '/api/v1/rules/{ruleName}/enable',
    summary: 'Enable a topic rule',
    params: TopicRulePathParams,
    responses: { 200: { description: 'The rule', schema: TopicRule } },
    errors: [400, 401, 403, 404],
  },
  {
    ...writer,
    operationId: 'disableTopicRule',
    method: 'post',
    path: '/api/v1/rules/{ruleName}/disable',
    summary: 'Disable a topic rule',
    description: 'Disabling `store_telemetry` stops storing telemetry: devices then get their PUBACKs without a write.',
    params: TopicRulePathParams,
    responses: { 200: { description: 'The rule', schema: TopicRule } },
    errors: [400, 401, 403, 404],
  },
  {
    ...writer,
    operationId: 'deleteTopicRule',
    method: 'delete',
    path: '/api/v1/rules/{ruleName}',
    summary: 'Delete a topic rule',
    params: TopicRulePathParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404],
  },
];
