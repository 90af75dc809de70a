import type { TopicRulePayload } from '@aws-sdk/client-iot';

/** The two telemetry topic forms: `telemetry/{thingName}` and `telemetry/{thingName}/{stream}`. */
export const TELEMETRY_TOPIC_FILTERS = {
  thing: 'telemetry/+',
  stream: 'telemetry/+/+',
} as const;

export interface TelemetryRuleOptions {
  /** The telemetry table's full name (with the installation's prefix). */
  tableName: string;
  /** A role AWS IoT assumes to write the table (dynamodb:PutItem on it) and the error log. */
  roleArn: string;
  /** The CloudWatch Logs group failed writes are reported to. */
  errorLogGroupName: string;
  /** Rule names allow only letters, digits and `_`; the stream rule gets `_streams` appended. */
  ruleName?: string;
}

export const DEFAULT_TELEMETRY_RULE_NAME = 'citus_telemetry';

/**
 * The rule SQL. `*` keeps the device's fields; the table's keys are added because the DynamoDBv2
 * action writes the selected attributes as the item and the item must carry them: `topic` is the
 * partition key, `epoch` (the receive time, ms) the sort key, as in the original system.
 * Known gaps against the DynamoDB telemetry adapter: the put is unconditional, so two messages on
 * one topic in the same millisecond overwrite, and the item lacks `workspaceId`, `thingKey`,
 * `seriesKey` and the payload as one JSON string, so the adapter's by-thing reads do not see it.
 */
export const telemetryRuleSql = (topicFilter: string): string =>
  `SELECT *, topic() AS topic, timestamp() AS epoch, topic(2) AS thingName FROM '${topicFilter}'`;

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
    sql: telemetryRuleSql(topicFilter),
    // The current SQL version: the older one treats nested objects and `*` differently.
    awsIotSqlVersion: '2016-03-23',
    description: `Citus telemetry on ${topicFilter} into ${options.tableName}`,
    ruleDisabled: false,
    actions: [{ dynamoDBv2: { roleArn: options.roleArn, putItem: { tableName: options.tableName } } }],
    // A failed write (throttled table, item too large) would otherwise vanish without a trace.
    errorAction: { cloudwatchLogs: { roleArn: options.roleArn, logGroupName: options.errorLogGroupName } },
  };
}
