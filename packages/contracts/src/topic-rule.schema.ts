import { z } from 'zod';
import { OutboundUrl, WEBHOOK_SIGNATURE_HEADER } from './alert-rule.schema.js';
import { AppName } from './app.schema.js';

/**
 * Topic rules (https://docs.aws.amazon.com/iot/latest/developerguide/iot-rules.html) as the platform
 * keeps them: AWS IoT's `TopicRulePayload` shape (`sql`, `actions`, `errorAction`, `ruleDisabled`,
 * `awsIotSqlVersion`), one set per workspace. The built-in hub runs them; in AWS mode the same
 * definitions become AWS IoT topic rules. The SQL and the `${...}` substitution templates in the
 * actions are checked by the hub when a rule is saved (a 400 naming the position), never at message
 * time.
 */

/** The only SQL version the hub speaks; AWS's current one. */
export const RULE_SQL_VERSION = '2016-03-23';

/** AWS IoT's rule names: 1-128 letters, digits and `_`. */
export const RuleName = z.string().regex(/^[A-Za-z0-9_]{1,128}$/, 'rule names are 1-128 letters, digits and _');
export type RuleName = z.infer<typeof RuleName>;

/** The rule every workspace starts with: it stores telemetry in the telemetry table. */
export const DEFAULT_TELEMETRY_RULE = {
  name: 'store_telemetry',
  sql: "SELECT * FROM 'telemetry/#'",
  description: 'Stores every telemetry message in the telemetry table before the device gets its PUBACK.',
} as const;

/** AWS's limit on a rule's SQL statement. */
export const MAX_RULE_SQL_CHARS = 256 * 1024;
/** AWS allows 10 actions per rule. */
export const MAX_RULE_ACTIONS = 10;

/** A string that may hold substitution templates, `${expression}` (e.g. `things/${topic(2)}/alerts`). */
const Template = (what: string, max: number) => z.string().min(1, `${what} is empty`).max(max, `${what} has at most ${max} characters`);

/** Stores the rule's result in the telemetry table (partition key `topic`, sort key `epoch`); telemetry topics only. */
export const TelemetryTableRuleAction = z.strictObject({});

/** Publishes the rule's result to an application topic of a thing of the workspace (`things/{thing}/...`). */
export const RepublishRuleAction = z.strictObject({
  topic: Template('the republish topic', 256),
  qos: z.union([z.literal(0), z.literal(1)]).optional(),
});

/** Headers the platform sets itself or HTTP reserves for the connection: a rule may not send them. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', WEBHOOK_SIGNATURE_HEADER, 'user-agent', 'host', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-authorization', 'proxy-connection']);

export const HttpHeader = z.strictObject({
  key: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/, 'a header name is an HTTP token')
    .refine((key) => !RESERVED_HEADERS.has(key.toLowerCase()), { error: (issue) => `${String(issue.input)} is set by the platform or by HTTP itself, not by a rule` }),
  value: Template('a header value', 1024),
});

/**
 * POSTs the rule's result as JSON to an HTTPS endpoint, signed as alert webhooks are: `X-Citus-Signature: t={unix
 * seconds},v1={hex HMAC-SHA256 of "{t}.{body}" with the rule's signing secret}`.
 */
export const HttpRuleAction = z.strictObject({
  /** https (http only for a loopback host), without credentials; templates may fill in its path and query, never its host. */
  url: OutboundUrl,
  headers: z.array(HttpHeader).max(20, 'at most 20 headers').optional(),
});

/** Sends the rule's result, which must be a shadow update document (`{state: {...}}`), to a thing's shadow. */
export const ShadowRuleAction = z.strictObject({
  /** The thing, e.g. `${topic(2)}` (the default: the thing of the message's topic). */
  thingName: Template('the thing name', 256).optional(),
  /** A named shadow; the classic shadow without one. */
  shadowName: Template('the shadow name', 64).optional(),
});

/** POSTs the rule's result as JSON to an app deployed in the workspace, at `path` under its root. */
export const AppRuleAction = z.strictObject({
  app: AppName,
  path: Template('the path', 1024)
    .refine((path) => path.startsWith('/'), 'the path starts with /')
    .optional(),
});

const ACTION_KINDS = ['telemetryTable', 'republish', 'http', 'shadow', 'app'] as const;
export type RuleActionKind = (typeof ACTION_KINDS)[number];

/** One action: an object with exactly one of the action kinds, as AWS IoT's `Action` structure. */
export const RuleAction = z
  .strictObject(
    {
      telemetryTable: TelemetryTableRuleAction.optional(),
      republish: RepublishRuleAction.optional(),
      http: HttpRuleAction.optional(),
      shadow: ShadowRuleAction.optional(),
      app: AppRuleAction.optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys' ? `unsupported action ${issue.keys.join(', ')}: the platform runs ${ACTION_KINDS.join(', ')}` : undefined,
    },
  )
  .refine((action) => Object.values(action).filter((value) => value !== undefined).length === 1, {
    message: `an action names exactly one of ${ACTION_KINDS.join(', ')}`,
  });
export type RuleAction = z.infer<typeof RuleAction>;

/** The kind an action names (the one key that is set). */
export function actionKind(action: RuleAction): RuleActionKind {
  const kind = ACTION_KINDS.find((name) => action[name] !== undefined);
  if (!kind) throw new Error('an action names no kind');
  return kind;
}

const RuleFields = {
  sql: z.string().min(1, 'the SQL statement is empty').max(MAX_RULE_SQL_CHARS, `the SQL statement has at most ${MAX_RULE_SQL_CHARS} characters`),
  description: z.string().max(2048).optional(),
  actions: z.array(RuleAction).min(1, 'a rule has at least one action').max(MAX_RULE_ACTIONS, `a rule has at most ${MAX_RULE_ACTIONS} actions`),
  /** Receives what an action could not do, after its retries, with the reason. */
  errorAction: RuleAction.optional(),
  ruleDisabled: z.boolean().optional(),
  awsIotSqlVersion: z.literal(RULE_SQL_VERSION, { error: `awsIotSqlVersion must be "${RULE_SQL_VERSION}"` }).optional(),
};

export const CreateTopicRuleRequest = z.strictObject({ name: RuleName, ...RuleFields });
export type CreateTopicRuleRequest = z.infer<typeof CreateTopicRuleRequest>;

/** Replaces a rule's definition (AWS's ReplaceTopicRule); its name stays. */
export const ReplaceTopicRuleRequest = z.strictObject(RuleFields);
export type ReplaceTopicRuleRequest = z.infer<typeof ReplaceTopicRuleRequest>;

export const TopicRule = z.object({
  name: RuleName,
  sql: z.string(),
  description: z.string(),
  actions: z.array(RuleAction),
  errorAction: RuleAction.optional(),
  ruleDisabled: z.boolean(),
  awsIotSqlVersion: z.literal(RULE_SQL_VERSION),
  /** The topic filter of the statement's FROM. */
  topicFilter: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TopicRule = z.infer<typeof TopicRule>;

/** A rule as created: the secret its `http` actions sign with, shown this once. */
export const CreatedTopicRule = TopicRule.extend({ signingSecret: z.string() });
export type CreatedTopicRule = z.infer<typeof CreatedTopicRule>;

export const TopicRuleList = z.object({ items: z.array(TopicRule) });
export type TopicRuleList = z.infer<typeof TopicRuleList>;

export const TopicRulePathParams = z.object({ ruleName: RuleName });

/**
 * What an error action receives: AWS IoT's error message (`ruleName`, `topic`, `clientId`,
 * `base64OriginalPayload`, `failures`) for the actions that failed after their retries.
 */
export const RuleErrorMessage = z.object({
  ruleName: RuleName,
  topic: z.string(),
  clientId: z.string(),
  base64OriginalPayload: z.string(),
  failures: z.array(
    z.object({
      failedAction: z.string(),
      failedResource: z.string(),
      errorMessage: z.string(),
      attempts: z.number().int().positive(),
    }),
  ),
});
export type RuleErrorMessage = z.infer<typeof RuleErrorMessage>;
