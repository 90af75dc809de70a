// Mocked: AWS IoT Core cannot run here; the SDK client is stubbed with aws-sdk-client-mock and the
// tests check the exact topic-rule requests sent.
import { CreateTopicRuleCommand, InvalidRequestException, IoTClient, ReplaceTopicRuleCommand, ResourceAlreadyExistsException, ThrottlingException } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsIotControlPlane } from '../src/iot-control-plane.js';
import { AwsIotError } from '../src/iot.errors.js';
import { telemetryTopicRules } from '../src/telemetry-rule.js';

const ROLE = 'arn:aws:iam::123456789012:role/citus-telemetry-rule';
const meta = { $metadata: {} };
const rules = telemetryTopicRules({ tableName: 'prod-telemetry', roleArn: ROLE, errorLogGroupName: '/citus/telemetry-rule-errors' });
// Written out in full: this is the text AWS IoT receives.
const sqlFrom = (topicFilter: string): string =>
  'SELECT topic() AS topic, timestamp() AS epoch, topic(2) AS thingName, ' +
  `concat(get_registry_data('DescribeThing', topic(2), '${ROLE}').attributes.workspaceId, '#', topic(2)) AS thingKey, ` +
  "concat('00', timestamp(), '#', topic()) AS seriesKey, " +
  "concat('base64:', encode(*, 'base64')) AS payload " +
  `FROM '${topicFilter}'`;

function setUp() {
  const client = new IoTClient({ region: 'eu-west-1' });
  const iot = mockClient(client);
  const plane = new AwsIotControlPlane(client, {
    account: { region: 'eu-west-1', accountId: '123456789012' },
    devicePolicyName: 'citus-device',
    devicePolicyDocument: { Version: '2012-10-17', Statement: [] },
  });
  return { iot, plane };
}

describe('telemetry topic rules (mocked AWS IoT control plane)', () => {
  it("selects both telemetry topic forms into the adapter's item: keys, thing, workspace from the registry, payload", () => {
    expect(rules.map(({ ruleName, topicRulePayload }) => [ruleName, topicRulePayload.sql])).toEqual([
      ['citus_telemetry', sqlFrom('telemetry/+')],
      ['citus_telemetry_streams', sqlFrom('telemetry/+/+')],
    ]);
    for (const { ruleName } of rules) expect(ruleName).toMatch(/^[a-zA-Z0-9_]{1,128}$/);
  });

  it('creates the rule with a DynamoDBv2 put into the telemetry table and an error action', async () => {
    const { iot, plane } = setUp();
    iot.on(CreateTopicRuleCommand).resolves({});
    await plane.putTopicRule(rules[0].ruleName, rules[0].topicRulePayload);
    expect(iot.commandCalls(CreateTopicRuleCommand).map((call) => call.args[0].input)).toEqual([{
      ruleName: 'citus_telemetry',
      topicRulePayload: {
        sql: sqlFrom('telemetry/+'),
        awsIotSqlVersion: '2016-03-23',
        description: 'Citus telemetry on telemetry/+ into prod-telemetry',
        ruleDisabled: false,
        actions: [{ dynamoDBv2: { roleArn: ROLE, putItem: { tableName: 'prod-telemetry' } } }],
        errorAction: { cloudwatchLogs: { roleArn: ROLE, logGroupName: '/citus/telemetry-rule-errors' } },
      },
    }]);
    expect(iot.commandCalls(ReplaceTopicRuleCommand)).toHaveLength(0);
  });

  it('replaces a rule that already exists, with the same payload', async () => {
    const { iot, plane } = setUp();
    iot.on(CreateTopicRuleCommand).rejects(new ResourceAlreadyExistsException({ message: 'exists', resourceId: 'r', resourceArn: 'a', ...meta }));
    iot.on(ReplaceTopicRuleCommand).resolves({});
    await plane.putTopicRule(rules[1].ruleName, rules[1].topicRulePayload);
    expect(iot.commandCalls(ReplaceTopicRuleCommand).map((call) => call.args[0].input)).toEqual([
      { ruleName: 'citus_telemetry_streams', topicRulePayload: rules[1].topicRulePayload },
    ]);
  });

  it('answers a rule AWS refuses with a clear error, and throttling with a retryable one', async () => {
    const { iot, plane } = setUp();
    iot.on(CreateTopicRuleCommand).rejectsOnce(new InvalidRequestException({ message: 'Expected a FROM clause', ...meta }));
    const refused = await plane.putTopicRule('citus_telemetry', rules[0].topicRulePayload).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AwsIotError);
    expect(refused).toMatchObject({ failure: 'invalid_request', retryable: false, operation: 'CreateTopicRule' });
    expect((refused as Error).message).toContain('Expected a FROM clause');

    iot.on(CreateTopicRuleCommand).rejects(new ResourceAlreadyExistsException({ message: 'exists', resourceId: 'r', resourceArn: 'a', ...meta }));
    iot.on(ReplaceTopicRuleCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', ...meta }));
    const throttled = await plane.putTopicRule('citus_telemetry', rules[0].topicRulePayload).catch((error: unknown) => error);
    expect(throttled).toMatchObject({ failure: 'throttled', retryable: true, operation: 'ReplaceTopicRule' });
  });
});
