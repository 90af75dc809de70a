import type { Action, HttpActionHeader } from '@aws-sdk/client-iot';
import { actionKind, RULE_SQL_VERSION, type RuleAction, type TopicRule } from '@citus/contracts';
import { type NamedTopicRule, telemetryRuleAttributes } from './telemetry-rule.js';
import { awsRuleName, AwsRuleNameError } from './topic-rule-names.js';
import { callsFunction, type RuleSqlClauses, ruleSqlClauses, RuleSqlShapeError } from './topic-rule-sql.js';

export interface AwsTopicRuleOptions {
  /** The installation's start of every AWS rule name (letters, digits, `_`; at most 32). */
  rulePrefix: string;
  /**
   * The role AWS IoT assumes for every rule: iot:DescribeThing (the workspace scope),
   * iot:Publish (republish and shadow actions) and dynamodb:PutItem on the telemetry table.
   */
  roleArn: string;
  /** The telemetry table's full name. */
  telemetryTableName: string;
  /** Where the platform serves apps, `https://...` (app actions POST under `/apps/`). */
  appsBaseUrl: string;
  /** The per-rule token http and app actions send in `x-citus-rule-token`; required by rules with such actions. */
  ruleToken?: (workspaceId: string, ruleName: string) => string;
  /** A header the app needs (e.g. its key), if any. */
  appKeyHeader?: (workspaceId: string, app: string) => HttpActionHeader | undefined;
}

/** Carries the rule's token, AWS mode's stand-in for the hub's per-message signature. */
export const RULE_TOKEN_HEADER = 'x-citus-rule-token';

/** Where a shadow action without `thingName` sends, as on the hub: the thing of the message's topic. */
const DEFAULT_SHADOW_THING = '${topic(2)}';

/** A rule AWS IoT cannot express as the platform means it; `at` names the field (`actions[1].http`). */
export class AwsRuleMappingError extends Error {
  readonly retryable = false;

  constructor(
    readonly ruleName: string,
    readonly at: string,
    reason: string,
  ) {
    super(`rule "${ruleName}" cannot become an AWS IoT rule (${at}): ${reason}`);
    this.name = 'AwsRuleMappingError';
  }
}

interface MappingContext {
  workspaceId: string;
  rule: TopicRule;
  options: AwsTopicRuleOptions;
}

/**
 * A workspace's rule as an AWS IoT topic rule (CreateTopicRule's payload), or AwsRuleMappingError
 * for what AWS cannot express. An AWS rule sees every message of the account, so the WHERE gets
 * the workspace scope (see `scopeCondition`).
 *
 * A rule with a telemetryTable action and other actions is refused, not split into two AWS rules:
 * the table needs its own SELECT (the item shape), so a split needs a second AWS name, and any
 * suffix of letters, digits and `_` is also a name the workspace may give another rule (`x` +
 * `_table` is the rule `x_table`), so the two could overwrite each other. Two rules with the same
 * statement do the same on both sides. AWS's error action receives AWS's error message, not
 * telemetry, so telemetryTable is refused there too (the hub refuses it as well).
 */
export function awsTopicRuleOf(workspaceId: string, rule: TopicRule, options: AwsTopicRuleOptions): NamedTopicRule {
  const context: MappingContext = { workspaceId, rule, options };
  const refuse = (at: string, reason: string) => new AwsRuleMappingError(rule.name, at, reason);
  let ruleName: string;
  try {
    ruleName = awsRuleName(options.rulePrefix, workspaceId, rule.name);
  } catch (error) {
    if (error instanceof AwsRuleNameError) throw refuse('name', error.message);
    throw error;
  }
  checkLiteral(context, 'workspaceId', workspaceId);
  checkLiteral(context, 'options.roleArn', options.roleArn);
  const tableIndex = rule.actions.findIndex((action) => action.telemetryTable !== undefined);
  if (tableIndex >= 0 && rule.actions.some((action) => action.telemetryTable === undefined)) {
    throw refuse(`actions[${tableIndex}].telemetryTable`, 'in AWS mode the telemetry table needs a rule of its own: move the other actions to another rule with the same statement');
  }
  if (rule.errorAction?.telemetryTable) throw refuse('errorAction.telemetryTable', 'an error message is not telemetry');
  const clauses = clausesOf(context);
  if (tableIndex >= 0 && clauses.select !== '*') {
    throw refuse(`actions[${tableIndex}].telemetryTable`, `AWS stores the payload's bytes only, so the SELECT must be * (it is "${clauses.select}")`);
  }
  return {
    ruleName,
    topicRulePayload: {
      sql: tableIndex >= 0 ? telemetryTableSql(context, clauses) : `${clauses.head} ${scopedWhere(context, clauses)}`,
      awsIotSqlVersion: RULE_SQL_VERSION,
      ...(rule.description ? { description: rule.description } : {}),
      ruleDisabled: rule.ruleDisabled,
      actions: rule.actions.map((action, index) => awsAction(context, action, `actions[${index}]`)),
      ...(rule.errorAction ? { errorAction: awsAction(context, rule.errorAction, 'errorAction') } : {}),
    },
  };
}

/**
 * The AWS IoT SQL reference documents no escape inside string literals, so text that goes into
 * one (the workspace id, the role ARN) must need none.
 */
function checkLiteral({ rule }: MappingContext, at: string, text: string): void {
  if (/['\\\p{Cc}]/u.test(text)) throw new AwsRuleMappingError(rule.name, at, 'a quote, backslash or control character cannot go into AWS IoT SQL text');
}

function clausesOf({ rule }: MappingContext): RuleSqlClauses {
  try {
    // AWS refuses a rule with more than one get_registry_data call (see telemetry-rule.ts), and the scope makes one.
    if (callsFunction(rule.sql, 'get_registry_data')) throw new RuleSqlShapeError('get_registry_data is taken by the workspace scope');
    return ruleSqlClauses(rule.sql);
  } catch (error) {
    if (error instanceof RuleSqlShapeError) throw new AwsRuleMappingError(rule.name, 'sql', error.message);
    throw error;
  }
}

/**
 * Only messages from the workspace's devices: the publishing client's thing (a device connects
 * with its thing name as client id, as the device policy requires) must carry the workspace in its
 * `workspaceId` attribute (AwsIotControlPlane.registerThing). get_registry_data calls DescribeThing
 * as the role (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html).
 * The user's condition is kept whole inside parentheses, so an OR in it cannot escape the scope.
 */
export function scopeCondition(workspaceId: string, roleArn: string): string {
  return `get_registry_data('DescribeThing', clientid(), '${roleArn}').attributes.workspaceId = '${workspaceId}'`;
}

function scopedWhere({ workspaceId, options }: MappingContext, clauses: RuleSqlClauses): string {
  const scope = scopeCondition(workspaceId, options.roleArn);
  return clauses.where === undefined ? `WHERE ${scope}` : `WHERE (${clauses.where}) AND ${scope}`;
}

/**
 * The item of telemetryRuleAttributes, but `thingKey` from the constant workspace id: the WHERE
 * already admits only the workspace's things, and AWS allows one get_registry_data per rule.
 */
function telemetryTableSql(context: MappingContext, clauses: RuleSqlClauses): string {
  const thingKey = `concat('${context.workspaceId}', '#', topic(2))`;
  const select = telemetryRuleAttributes(context.options.roleArn).map(({ attribute, expression }) =>
    `${attribute === 'thingKey' ? thingKey : expression} AS ${attribute}`,
  );
  return `SELECT ${select.join(', ')} FROM ${clauses.fromLiteral} ${scopedWhere(context, clauses)}`;
}

function awsAction(context: MappingContext, action: RuleAction, at: string): Action {
  const { options } = context;
  const path = `${at}.${actionKind(action)}`;
  if (action.telemetryTable) {
    // Each SELECT field becomes an attribute (https://docs.aws.amazon.com/iot/latest/apireference/API_DynamoDBv2Action.html).
    return { dynamoDBv2: { roleArn: options.roleArn, putItem: { tableName: options.telemetryTableName } } };
  }
  if (action.republish) {
    // The topic's ${...} templates are AWS's own (https://docs.aws.amazon.com/iot/latest/developerguide/republish-rule-action.html).
    // The rules' role may publish anywhere in the account: only the message's own thing stays in the workspace.
    if (!action.republish.topic.startsWith(`things/${DEFAULT_SHADOW_THING}/`)) {
      throw new AwsRuleMappingError(context.rule.name, `${path}.topic`, `in AWS mode a republish topic starts with things/${DEFAULT_SHADOW_THING}/ (the message's own thing): the rules' role cannot tell other workspaces' things apart`);
    }
    return { republish: { topic: action.republish.topic, qos: action.republish.qos ?? 0, roleArn: options.roleArn } };
  }
  if (action.shadow) {
    // A rule updates a shadow by republishing to its reserved update topic, `$` written `$$` (same page).
    const thing = action.shadow.thingName ?? DEFAULT_SHADOW_THING;
    if (thing !== DEFAULT_SHADOW_THING) {
      throw new AwsRuleMappingError(context.rule.name, `${path}.thingName`, `in AWS mode a shadow action updates the message's own thing (${DEFAULT_SHADOW_THING}): the rules' role cannot tell other workspaces' things apart`);
    }
    const named = action.shadow.shadowName === undefined ? '' : `/name/${action.shadow.shadowName}`;
    return { republish: { topic: `$$aws/things/${thing}/shadow${named}/update`, roleArn: options.roleArn } };
  }
  if (action.http) return { http: httpAction(context, action.http, path) };
  if (action.app) return { http: appAction(context, action.app, path) };
  throw new AwsRuleMappingError(context.rule.name, at, 'the action names no kind');
}

/**
 * AWS's HTTP action cannot compute the hub's per-message HMAC (`X-Citus-Signature`), so it sends
 * the rule's token in a static header instead: the receiver checks the token rather than a
 * signature, and a replayed body is not detected. AWS also delivers nothing to a URL until its
 * topic rule destination is confirmed: it POSTs a confirmation request to the URL first, and the
 * receiver must confirm it (https://docs.aws.amazon.com/iot/latest/developerguide/https-rule-action.html).
 */
function httpAction(context: MappingContext, spec: NonNullable<RuleAction['http']>, path: string) {
  if (spec.url.includes('${')) {
    throw new AwsRuleMappingError(context.rule.name, `${path}.url`, 'AWS would read "${" in the URL as a substitution template');
  }
  const headers = spec.headers ?? [];
  if (headers.some((header) => header.key.toLowerCase() === RULE_TOKEN_HEADER)) {
    throw new AwsRuleMappingError(context.rule.name, `${path}.headers`, `${RULE_TOKEN_HEADER} is set by AWS mode`);
  }
  return { url: spec.url, headers: [...headers, tokenHeader(context, path)] };
}

/**
 * An app's endpoint under the apps base URL. Its path may hold templates, and AWS then wants a
 * confirmation URL that prefixes it: the apps root, so one confirmed destination serves every app.
 */
function appAction({ workspaceId, rule, options }: MappingContext, spec: NonNullable<RuleAction['app']>, path: string) {
  const keyHeader = options.appKeyHeader?.(workspaceId, spec.app);
  // The platform's app proxy lets in members and app keys only; AWS IoT holds neither unless given the app's key.
  if (!keyHeader) {
    throw new AwsRuleMappingError(rule.name, path, `no key of app ${spec.app} to send: the platform's app proxy would refuse AWS IoT; use an http action to a URL of the app's own`);
  }
  const base = appsBase(rule, options.appsBaseUrl);
  const root = `${base}/apps/`;
  return {
    url: `${root}${encodeURIComponent(workspaceId)}/${spec.app}${spec.path ?? ''}`,
    confirmationUrl: root,
    headers: [tokenHeader({ workspaceId, rule, options }, path), keyHeader],
  };
}

function appsBase(rule: TopicRule, appsBaseUrl: string): string {
  const base = appsBaseUrl.replace(/\/+$/, '');
  if (!/^https:\/\/[^\s$]+$/.test(base) || !URL.canParse(base)) {
    throw new AwsRuleMappingError(rule.name, 'options.appsBaseUrl', `"${appsBaseUrl}" is not an https URL (AWS's HTTP action needs https)`);
  }
  return base;
}

function tokenHeader({ workspaceId, rule, options }: MappingContext, path: string): HttpActionHeader {
  const token = options.ruleToken?.(workspaceId, rule.name);
  if (token === undefined) throw new AwsRuleMappingError(rule.name, path, 'no rule token was given for the header that stands in for the signature');
  // A token with `${` would be read as a template; a plain token needs no escaping anywhere.
  if (!/^[A-Za-z0-9._~+/=_-]{16,1024}$/.test(token)) throw new AwsRuleMappingError(rule.name, path, 'the rule token must be 16-1024 URL-safe characters');
  return { key: RULE_TOKEN_HEADER, value: token };
}
