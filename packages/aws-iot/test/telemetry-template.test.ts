import { readFileSync } from 'node:fs';
import { TELEMETRY_TABLES } from '@citus/dynamodb';
import { parse } from 'yaml';
import { DEFAULT_DEVICE_POLICY } from '../../../services/iot-hub/src/domain/policy/default-policies.js';
import { renderPolicyDocument } from '../src/device-policy.js';
import { RULE_PAYLOAD_PREFIX, TELEMETRY_TOPIC_FILTERS, telemetryRuleSql } from '../src/telemetry-rule.js';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface Template {
  Parameters: Record<string, unknown>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

const template = parse(readFileSync(new URL('../../../infra/aws/telemetry.yaml', import.meta.url), 'utf8')) as Template;
const resources = template.Resources;
function props(name: string): Record<string, unknown> {
  const resource = resources[name];
  if (!resource) throw new Error(`the template declares no ${name}`);
  return resource.Properties;
}
const ACCOUNT = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };

/** Resolves the pseudo parameters of an `Fn::Sub` string the way CloudFormation would. */
function substitute(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(substitute);
  if (value && typeof value === 'object' && 'Fn::Sub' in value) {
    return (value['Fn::Sub'] as string)
      .replaceAll('${AWS::Partition}', ACCOUNT.partition)
      .replaceAll('${AWS::Region}', ACCOUNT.region)
      .replaceAll('${AWS::AccountId}', ACCOUNT.accountId)
      .replaceAll('${!', '${');
  }
  return value;
}

/** Every `Ref`, `Fn::GetAtt` and `Fn::Sub` variable target in a part of the template (pseudo parameters aside). */
function references(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(references);
  if (!node || typeof node !== 'object') return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'Ref') found.push(value as string);
    else if (key === 'Fn::GetAtt') found.push((value as [string, string])[0]);
    else if (key === 'Fn::Sub') found.push(...subVariables(value as string));
    else found.push(...references(value));
  }
  return found;
}

/** `${Name}` and `${Name.Attribute}` of an `Fn::Sub` string; `${!...}` is an escape, `${AWS::...}` a pseudo parameter. */
const subVariables = (text: string): string[] =>
  [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((match) => (match[1] as string).split('.')[0] as string).filter((name) => !name.startsWith('AWS::'));

const ROLE_IN_SQL = '${TelemetryRuleRole.Arn}';
const ruleSql = (name: string): string => ((props(name).TopicRulePayload as { Sql: { 'Fn::Sub': string } }).Sql)['Fn::Sub'];

/** The top-level `expression AS name` fields of a SELECT, split at the commas outside parentheses. */
function selectedFields(sql: string): Map<string, string> {
  const list = /^SELECT (.*) FROM '[^']*'$/.exec(sql)?.[1] ?? '';
  const fields: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const char = list[i];
    if (char === "'") quoted = !quoted;
    else if (!quoted && char === '(') depth++;
    else if (!quoted && char === ')') depth--;
    else if (!quoted && depth === 0 && char === ',') {
      fields.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  fields.push(list.slice(start).trim());
  return new Map(fields.map((field) => {
    const [, expression = field, name = ''] = /^(.*) AS (\w+)$/.exec(field) ?? [];
    return [name, expression];
  }));
}

describe('infra/aws/telemetry.yaml', () => {
  it('declares the tables of @citus/dynamodb with the same names, keys, index, stream and TTL', () => {
    const tables = Object.values(resources).filter((resource) => resource.Type === 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(TELEMETRY_TABLES.length);
    for (const { name, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, StreamSpecification, timeToLiveAttribute } of TELEMETRY_TABLES) {
      const table = tables.find((candidate) => (candidate.Properties.TableName as { 'Fn::Sub': string })['Fn::Sub'] === `\${TablePrefix}${name}`);
      expect(table).toBeDefined();
      expect(table?.Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions, KeySchema });
      expect(table?.Properties.GlobalSecondaryIndexes).toEqual(GlobalSecondaryIndexes);
      // CloudFormation's stream specification has no StreamEnabled: declaring it enables it.
      expect(table?.Properties.StreamSpecification).toEqual(
        StreamSpecification ? { StreamViewType: StreamSpecification.StreamViewType } : undefined,
      );
      expect(table?.Properties.TimeToLiveSpecification).toEqual(
        timeToLiveAttribute ? { AttributeName: timeToLiveAttribute, Enabled: true } : undefined,
      );
    }
  });

  it('keys the telemetry table by topic and epoch, streams new images and expires items by expiresAt', () => {
    expect(props('TelemetryTable')).toMatchObject({
      KeySchema: [
        { AttributeName: 'topic', KeyType: 'HASH' },
        { AttributeName: 'epoch', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(resources.TelemetryTable).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('writes both telemetry topic forms into the telemetry table through the rule role', () => {
    const rules = [props('TelemetryRule'), props('TelemetryStreamRule')].map((rule) => rule.TopicRulePayload);
    expect([ruleSql('TelemetryRule'), ruleSql('TelemetryStreamRule')]).toEqual([
      telemetryRuleSql(TELEMETRY_TOPIC_FILTERS.thing, ROLE_IN_SQL),
      telemetryRuleSql(TELEMETRY_TOPIC_FILTERS.stream, ROLE_IN_SQL),
    ]);
    for (const rule of rules) {
      expect(rule).toMatchObject({
        AwsIotSqlVersion: '2016-03-23',
        RuleDisabled: false,
        Actions: [{ DynamoDBv2: { RoleArn: { 'Fn::GetAtt': ['TelemetryRuleRole', 'Arn'] }, PutItem: { TableName: { Ref: 'TelemetryTable' } } } }],
        ErrorAction: { CloudwatchLogs: { LogGroupName: { Ref: 'TelemetryRuleErrorLogGroup' }, RoleArn: { 'Fn::GetAtt': ['TelemetryRuleRole', 'Arn'] } } },
      });
    }
  });

  it("selects the attributes the hub's DynamoDB adapter reads: the table's and index's keys and the payload", () => {
    const [telemetry] = TELEMETRY_TABLES;
    const keys = [...(telemetry?.KeySchema ?? []), ...(telemetry?.GlobalSecondaryIndexes ?? []).flatMap((index) => index.KeySchema ?? [])];
    for (const name of ['TelemetryRule', 'TelemetryStreamRule']) {
      const fields = selectedFields(ruleSql(name));
      expect([...fields.keys()].sort()).toEqual(['epoch', 'payload', 'seriesKey', 'thingKey', 'thingName', 'topic']);
      expect([...fields.keys()]).toEqual(expect.arrayContaining(keys.map((key) => key.AttributeName)));
      expect(fields.get('topic')).toBe('topic()');
      expect(fields.get('thingName')).toBe('topic(2)');
      // workspaceId + '#' + thing name; the workspace is the thing attribute the control plane sets.
      expect(fields.get('thingKey')).toBe(
        `concat(get_registry_data('DescribeThing', topic(2), '${ROLE_IN_SQL}').attributes.workspaceId, '#', topic(2))`,
      );
      // AWS IoT refuses a rule that calls get_registry_data more than once.
      expect(ruleSql(name).match(/get_registry_data\(/g)).toHaveLength(1);
      // 15 digits: '00' and the 13 digits of the receive time in ms, then '#' and the topic.
      expect(fields.get('seriesKey')).toBe("concat('00', timestamp(), '#', topic())");
      expect(fields.get('payload')).toBe(`concat('${RULE_PAYLOAD_PREFIX}', encode(*, 'base64'))`);
    }
  });

  it('lets the rule role, assumed only by AWS IoT for this account, put items into the telemetry table, read things and nothing more', () => {
    const role = props('TelemetryRuleRole') as {
      AssumeRolePolicyDocument: { Statement: unknown[] };
      Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } }>;
    };
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'iot.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    const statements = role.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
    expect(statements.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      { Action: 'dynamodb:PutItem', Resource: { 'Fn::GetAtt': ['TelemetryTable', 'Arn'] } },
      { Action: 'iot:DescribeThing', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:thing/*' } },
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': ['TelemetryRuleErrorLogGroup', 'Arn'] } },
    ]);
  });

  it("holds the hub's default device policy, pinned to the stack's account and region", () => {
    const document = props('DevicePolicy').PolicyDocument as { Version: string; Statement: Array<Record<string, unknown>> };
    const resolved = { ...document, Statement: document.Statement.map((statement) => ({ ...statement, Resource: substitute(statement.Resource) })) };
    expect(resolved).toEqual(renderPolicyDocument(DEFAULT_DEVICE_POLICY, ACCOUNT));
    expect(resolved.Statement[0]?.Resource).toBe('arn:aws:iot:eu-west-1:123456789012:client/${iot:Connection.Thing.ThingName}');
  });

  it('refers only to resources and parameters it declares, and outputs what the services need', () => {
    const declared = new Set([...Object.keys(resources), ...Object.keys(template.Parameters), 'AWS::AccountId']);
    expect(references(template).filter((name) => !declared.has(name))).toEqual([]);
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(['TelemetryTableName', 'TelemetryStreamArn', 'TelemetryTopicsTableName', 'TelemetryRuleRoleArn', 'DevicePolicyName']),
    );
    expect(template.Outputs.TelemetryStreamArn?.Value).toEqual({ 'Fn::GetAtt': ['TelemetryTable', 'StreamArn'] });
  });
});
