import type { TopicRulePayload } from '@aws-sdk/client-iot';
import { RULE_PAYLOAD_PREFIX } from '@citus/dynamodb';

/** The two telemetry topic forms: `telemetry/{thingName}` and `telemetry/{thingName}/{stream}`. */
export const TELEMETRY_TOPIC_FILTERS = {
  thing: 'telemetry/+',
  stream: 'telemetry/+/+',
} as const;

export interface TelemetryRuleOptions {
  /** The telemetry table's full name (with the installation's prefix). */
  tableName: string;
  /**
   * A role AWS IoT assumes to write the table (dynamodb:PutItem on it), to read the thing's
   * registry entry for `get_registry_data` (iot:DescribeThing) and to write the error log.
   */
  roleArn: string;
  /** The CloudWatch Logs group failed writes are reported to. */
  errorLogGroupName: string;
  /** Rule names allow only letters, digits and `_`; the stream rule gets `_streams` appended. */
  ruleName?: string;
}

export const DEFAULT_TELEMETRY_RULE_NAME = 'citus_telemetry';

export { RULE_PAYLOAD_PREFIX };

/** One attribute of the item the rule writes: the DynamoDBv2 action makes each SELECT field one. */
export interface RuleAttribute {
  attribute: string;
  expression: string;
}

/**
 * The item the rule writes, in the shape the hub's DynamoDB adapter reads (its `telemetry.keys.ts`).
 * What it relies on, from the AWS IoT SQL reference (version 2016-03-23) unless said otherwise:
 * - `topic(2)` is the thing name: the device policy lets a device publish only under its own thing
 *   name, so it cannot write into another thing's series.
 * - The workspace is the thing attribute `workspaceId` (AwsIotControlPlane.registerThing), read with
 *   `get_registry_data('DescribeThing', thing, roleArn)`: DescribeThing called as that role, so the
 *   role needs iot:DescribeThing. Each call is billed like a rule action and is a registry API call;
 *   I found no documented rate for the function itself, so budget for the account's DescribeThing
 *   throttle, one call per message. AWS refuses a rule with more than one call ("Rule cannot
 *   contain more than 1 get_registry_data function calls", reported by a public sample, not in the
 *   reference), so the workspace reaches the item inside `thingKey` only, not as `workspaceId`.
 * - `lpad(s, n)` prepends n spaces, it does not pad to a width, so it cannot zero-pad. `timestamp()`
 *   (the receive time, ms) has 13 digits from September 2001 until the year 2286, so `'00'` in front
 *   is the adapter's 15-digit zero-padded epoch for every time the rule can see.
 * - `cast(x AS String)` re-serialises an object, not the bytes received (and `*` is not documented as
 *   its argument); `encode(*, 'base64')` encodes the payload's bytes, JSON or not. The adapter decodes
 *   what follows RULE_PAYLOAD_PREFIX and applies the hub's ingest check to it.
 * - Without `*` in the SELECT no field of the device's can overwrite a key attribute.
 * Gaps: the put is unconditional, so two messages on one topic in the same millisecond overwrite;
 * `timestamp()` is called for `epoch` and again for `seriesKey`, and AWS does not say both calls
 * answer the same, so the adapter reads the epoch out of `seriesKey`; a thing without the
 * `workspaceId` attribute gets no `thingKey` (or one no workspace reads), so its items stay unread; the rule
 * cannot know the workspace's retention (the hub holds it), so its items carry no `expiresAt`.
 */
export const telemetryRuleAttributes = (roleArn: string): RuleAttribute[] => [
  { attribute: 'topic', expression: 'topic()' },
  { attribute: 'epoch', expression: 'timestamp()' },
  { attribute: 'thingName', expression: 'topic(2)' },
  {
    attribute: 'thingKey',
    expression: `concat(get_registry_data('DescribeThing', topic(2), '${roleArn}').attributes.workspaceId, '#', topic(2))`,
  },
  { attribute: 'seriesKey', expression: "concat('00', timestamp(), '#', topic())" },
  { attribute: 'payload', expression: `concat('${RULE_PAYLOAD_PREFIX}', encode(*, 'base64'))` },
];

/** The rule SQL: the attributes of `telemetryRuleAttributes`, from one telemetry topic form. */
export const telemetryRuleSql = (topicFilter: string, roleArn: string): string => {
  const select = telemetryRuleAttributes(roleArn).map(({ attribute, expression }) => `${expression} AS ${attribute}`);
  return `SELECT ${select.join(', ')} FROM '${topicFilter}'`;
};

export interface NamedTopicRule {
  ruleName: string;
  topicRulePayload: TopicRulePayload;
}

/** One rule per topic form, `telemetry/+` then `telemetry/+/+`: an AWS IoT rule has a single FROM topic filter. */
export function telemetryTopicRules(options: TelemetryRuleOptions): [NamedTopicRule, NamedTopicRule] {
  const name = options.ruleName ?? DEFAULT_TELEMETRY_RULE_NAME;
  return [
    { ruleName: name, topicRulePayload: rulePayload(options, TELEMETRY_TOPIC_FILTERS.thing) },
    { ruleName: `${name}_streams`, topicRulePayload: rulePayload(options, TELEMETRY_TOPIC_FILTERS.stream) },
  ];
}

function rulePayload(options: TelemetryRuleOptions, topicFilter: string): TopicRulePayload {
  return {
    sql: telemetryRuleSql(topicFilter, options.roleArn),
    // The current SQL version: the older one treats nested objects and `*` differently.
    awsIotSqlVersion: '2016-03-23',
    description: `Citus telemetry on ${topicFilter} into ${options.tableName}`,
    ruleDisabled: false,
    actions: [{ dynamoDBv2: { roleArn: options.roleArn, putItem: { tableName: options.tableName } } }],
    // A failed write (throttled table, item too large) would otherwise vanish without a trace.
    errorAction: { cloudwatchLogs: { roleArn: options.roleArn, logGroupName: options.errorLogGroupName } },
  };
}
