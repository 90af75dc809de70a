// Mocked: AWS IoT Core cannot run here. The mapping is pure and checked as the exact payloads AWS
// would receive; the deployer's calls go to an SDK client stubbed with aws-sdk-client-mock.
import {
  CreateTopicRuleCommand,
  DeleteTopicRuleCommand,
  DisableTopicRuleCommand,
  EnableTopicRuleCommand,
  IoTClient,
  ListTopicRulesCommand,
  ReplaceTopicRuleCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-iot';
import type { TopicRule } from '@citus/contracts';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsIotError } from '../src/iot.errors.js';
import {
  AwsRuleMappingError,
  AwsRuleNameError,
  awsRuleName,
  awsTopicRuleOf,
  AwsTopicRuleDeployer,
  type AwsTopicRuleOptions,
  platformRuleName,
} from '../src/topic-rules.js';

const ROLE = 'arn:aws:iam::123456789012:role/citus-rules';
const TOKEN = 'tok_0123456789abcdef';
const meta = { $metadata: {} };
const options: AwsTopicRuleOptions = {
  rulePrefix: 'citus',
  roleArn: ROLE,
  telemetryTableName: 'prod-telemetry',
  appsBaseUrl: 'https://apps.example.com/',
  ruleToken: (workspaceId, name) => `${TOKEN}_${workspaceId.replace(/\W/g, '')}_${name}`,
  appKeyHeader: (_workspaceId, app) => (app === 'keyed' ? { key: 'x-api-key', value: 'app-key-1' } : undefined),
};
// sha256('ws-1') starts 769446044ae9: the key is the id's letters and digits, then 12 hex digits.
const WS = 'ws-1';
const NAME_PREFIX = 'citus_ws1769446044ae9_';
const SCOPE = `get_registry_data('DescribeThing', clientid(), '${ROLE}').attributes.workspaceId = 'ws-1'`;

/** An object mother: a saved rule as the hub keeps it. */
function ruleOf(overrides: Partial<TopicRule> = {}): TopicRule {
  return {
    name: 'alerts',
    sql: "SELECT * FROM 'things/+/events'",
    description: '',
    actions: [{ republish: { topic: 'things/${topic(2)}/alerts' } }],
    ruleDisabled: false,
    awsIotSqlVersion: '2016-03-23',
    topicFilter: 'things/+/events',
    createdAt: '2026-11-27T00:00:00.000Z',
    updatedAt: '2026-11-27T00:00:00.000Z',
    ...overrides,
  };
}

const sqlOf = (rule: TopicRule): string | undefined => awsTopicRuleOf(WS, rule, options).topicRulePayload.sql;
const refusal = (rule: TopicRule, workspaceId = WS): unknown => {
  try {
    awsTopicRuleOf(workspaceId, rule, options);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('AWS topic rule names (mocked AWS IoT)', () => {
  it('names a rule {prefix}_{workspace key}_{name}, stable and within AWS pattern', () => {
    expect(awsRuleName('citus', WS, 'alerts')).toBe(`${NAME_PREFIX}alerts`);
    expect(awsRuleName('citus', WS, 'alerts')).toBe(awsRuleName('citus', WS, 'alerts'));
    const odd = awsRuleName('citus', 'café/😀 \' x', 'r');
    expect(odd).toMatch(/^citus_cafx[0-9a-f]{12}_r$/);
  });

  it('keeps workspaces apart even when their letters and digits agree', () => {
    expect(awsRuleName('citus', 'ws-1', 'a')).not.toBe(awsRuleName('citus', 'ws_1', 'a'));
    expect(platformRuleName('citus', 'ws-1', awsRuleName('citus', 'ws-1', 'my_rule'))).toBe('my_rule');
    expect(platformRuleName('citus', 'ws_1', awsRuleName('citus', 'ws-1', 'my_rule'))).toBeUndefined();
  });

  it('refuses a name that would exceed 128 characters and a bad prefix', () => {
    const fits = 128 - NAME_PREFIX.length;
    expect(awsRuleName('citus', WS, 'r'.repeat(fits))).toHaveLength(128);
    expect(() => awsRuleName('citus', WS, 'r'.repeat(fits + 1))).toThrow(new RegExp(`at most ${fits} characters`));
    expect(() => awsRuleName('citus-prod', WS, 'r')).toThrow(AwsRuleNameError);
    const error = refusal(ruleOf({ name: 'r'.repeat(fits + 1) }));
    expect(error).toBeInstanceOf(AwsRuleMappingError);
    expect(error).toMatchObject({ at: 'name' });
  });
});

describe('AWS topic rule mapping (mocked AWS IoT)', () => {
  it('adds the workspace scope as the WHERE of a statement without one', () => {
    expect(sqlOf(ruleOf())).toBe(`SELECT * FROM 'things/+/events' WHERE ${SCOPE}`);
  });

  it("keeps the user's WHERE whole in parentheses, ANDed with the scope", () => {
    const rule = ruleOf({ sql: "SELECT temperature AS t FROM 'things/+/events' where temperature > 30 OR humidity > 80" });
    expect(sqlOf(rule)).toBe(`SELECT temperature AS t FROM 'things/+/events' WHERE (temperature > 30 OR humidity > 80) AND ${SCOPE}`);
  });

  it('is not fooled by FROM and WHERE inside strings or brackets', () => {
    const sql = "SELECT 'a FROM b' AS s, {'where': get(x, 'FROM')} AS o FROM 'things/+/events' WHERE note = 'sent FROM home WHERE ok' AND a.from = 1";
    expect(sqlOf(ruleOf({ sql }))).toBe(
      "SELECT 'a FROM b' AS s, {'where': get(x, 'FROM')} AS o FROM 'things/+/events' " +
        `WHERE (note = 'sent FROM home WHERE ok' AND a.from = 1) AND ${SCOPE}`,
    );
    // A doubled quote reads the same whether or not backslashes escape, so it is not ambiguous.
    expect(sqlOf(ruleOf({ sql: "SELECT * FROM 'things/+/events' WHERE name = 'it''s FROM x'" }))).toBe(
      `SELECT * FROM 'things/+/events' WHERE (name = 'it''s FROM x') AND ${SCOPE}`,
    );
  });

  it('maps republish, http, shadow and app actions and the error action, carrying the rest over', () => {
    const rule = ruleOf({
      description: 'hot rooms',
      ruleDisabled: true,
      actions: [
        { republish: { topic: 'things/${topic(2)}/alerts', qos: 1 } },
        { http: { url: 'https://hooks.example.com/in', headers: [{ key: 'x-room', value: '${topic(2)}' }] } },
        { shadow: {} },
        { shadow: { shadowName: 'climate' } },
        { app: { app: 'keyed', path: '/events/${topic(2)}' } },
      ],
      errorAction: { republish: { topic: 'things/${topic(2)}/rule-errors' } },
    });
    const tokenHeader = { key: 'x-citus-rule-token', value: `${TOKEN}_ws1_alerts` };
    expect(awsTopicRuleOf(WS, rule, options)).toEqual({
      ruleName: `${NAME_PREFIX}alerts`,
      topicRulePayload: {
        sql: `SELECT * FROM 'things/+/events' WHERE ${SCOPE}`,
        awsIotSqlVersion: '2016-03-23',
        description: 'hot rooms',
        ruleDisabled: true,
        actions: [
          { republish: { topic: 'things/${topic(2)}/alerts', qos: 1, roleArn: ROLE } },
          { http: { url: 'https://hooks.example.com/in', headers: [{ key: 'x-room', value: '${topic(2)}' }, tokenHeader] } },
          { republish: { topic: '$$aws/things/${topic(2)}/shadow/update', roleArn: ROLE } },
          { republish: { topic: '$$aws/things/${topic(2)}/shadow/name/climate/update', roleArn: ROLE } },
          {
            http: {
              url: 'https://apps.example.com/apps/ws-1/keyed/events/${topic(2)}',
              confirmationUrl: 'https://apps.example.com/apps/',
              headers: [tokenHeader, { key: 'x-api-key', value: 'app-key-1' }],
            },
          },
        ],
        errorAction: { republish: { topic: 'things/${topic(2)}/rule-errors', qos: 0, roleArn: ROLE } },
      },
    });
  });

  it("stores telemetry as the adapter's item, the workspace constant in thingKey, with one registry call", () => {
    const rule = ruleOf({ name: 'store_telemetry', sql: "SELECT * FROM 'telemetry/#' WHERE topic(3) <> 'debug'", actions: [{ telemetryTable: {} }] });
    const named = awsTopicRuleOf(WS, rule, options);
    expect(named.topicRulePayload.sql).toBe(
      'SELECT topic() AS topic, timestamp() AS epoch, topic(2) AS thingName, ' +
        "concat('ws-1', '#', topic(2)) AS thingKey, concat('00', timestamp(), '#', topic()) AS seriesKey, " +
        "concat('base64:', encode(*, 'base64')) AS payload " +
        `FROM 'telemetry/#' WHERE (topic(3) <> 'debug') AND ${SCOPE}`,
    );
    expect(named.topicRulePayload.sql?.match(/get_registry_data/g)).toHaveLength(1);
    expect(named.topicRulePayload.actions).toEqual([{ dynamoDBv2: { roleArn: ROLE, putItem: { tableName: 'prod-telemetry' } } }]);
  });

  it.each<[string, TopicRule, RegExp]>([
    ['a telemetry table beside other actions', ruleOf({ sql: "SELECT * FROM 'telemetry/#'", actions: [{ republish: { topic: 'things/a/b' } }, { telemetryTable: {} }] }), /actions\[1\]\.telemetryTable.*rule of its own/],
    ['a telemetry table under a SELECT other than *', ruleOf({ sql: "SELECT temperature FROM 'telemetry/#'", actions: [{ telemetryTable: {} }] }), /SELECT must be \*/],
    ['a telemetry table as the error action', ruleOf({ errorAction: { telemetryTable: {} } }), /errorAction\.telemetryTable/],
    ['a republish to a thing other than the message\'s (maybe of another workspace)', ruleOf({ actions: [{ republish: { topic: 'things/their-thing/cmd' } }] }), /actions\[0\]\.republish\.topic.*own thing/],
    ['a shadow of a thing other than the message\'s', ruleOf({ actions: [{ shadow: { thingName: 'their-thing' } }] }), /actions\[0\]\.shadow\.thingName.*own thing/],
    ['an app action without the app\'s key', ruleOf({ actions: [{ app: { app: 'plain' } }] }), /no key of app plain/],
    ['a backslash that makes the strings ambiguous', ruleOf({ sql: "SELECT * FROM 't/+' WHERE a = 'x\\' AND b = ' WHERE c = 1'" }), /\(sql\)/],
    ['a comment that could hide the scope', ruleOf({ sql: "SELECT * FROM 't/+' WHERE a = 1 -- note" }), /comment/],
    ['a second get_registry_data', ruleOf({ sql: "SELECT get_registry_data('DescribeThing', clientid(), 'r') AS t FROM 't/+'" }), /get_registry_data/],
    ['text after the FROM filter', ruleOf({ sql: "SELECT * FROM 't/+' LIMIT 1" }), /after the FROM/],
    ['an http URL with a template', ruleOf({ actions: [{ http: { url: 'https://h.example.com/${topic()}' } }] }), /actions\[0\]\.http\.url/],
    ['an http header that takes the token header', ruleOf({ actions: [{ http: { url: 'https://h.example.com/', headers: [{ key: 'X-Citus-Rule-Token', value: 'x' }] } }] }), /set by AWS mode/],
  ])('refuses %s', (_case, rule, message) => {
    const error = refusal(rule);
    expect(error).toBeInstanceOf(AwsRuleMappingError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(`rule "${rule.name}"`);
  });

  it('refuses a workspace id that cannot go into a SQL string and an http action without a token', () => {
    expect(refusal(ruleOf(), "ws'1")).toMatchObject({ at: 'workspaceId' });
    const { ruleToken: _none, ...tokenless } = options;
    expect(() => awsTopicRuleOf(WS, ruleOf({ actions: [{ http: { url: 'https://h.example.com/' } }] }), tokenless)).toThrow(/no rule token/);
  });
});

function setUp() {
  const client = new IoTClient({ region: 'eu-west-1' });
  return { iot: mockClient(client), deployer: new AwsTopicRuleDeployer(client, options) };
}

describe('AWS topic rule deployer (mocked AWS IoT control plane)', () => {
  it('creates the mapped rule', async () => {
    const { iot, deployer } = setUp();
    iot.on(CreateTopicRuleCommand).resolves({});
    const named = await deployer.put(WS, ruleOf());
    expect(iot.commandCalls(CreateTopicRuleCommand).map((call) => call.args[0].input)).toEqual([named]);
    expect(named.ruleName).toBe(`${NAME_PREFIX}alerts`);
    expect(iot.commandCalls(ReplaceTopicRuleCommand)).toHaveLength(0);
  });

  it('replaces a rule that exists, and passes a throttled replace on as retryable', async () => {
    const { iot, deployer } = setUp();
    iot.on(CreateTopicRuleCommand).rejects(new ResourceAlreadyExistsException({ message: 'exists', resourceId: 'r', resourceArn: 'a', ...meta }));
    iot.on(ReplaceTopicRuleCommand).resolvesOnce({}).rejects(new ThrottlingException({ message: 'Rate exceeded', ...meta }));
    const named = await deployer.put(WS, ruleOf());
    expect(iot.commandCalls(ReplaceTopicRuleCommand).map((call) => call.args[0].input)).toEqual([named]);
    const throttled = await deployer.put(WS, ruleOf()).catch((error: unknown) => error);
    expect(throttled).toBeInstanceOf(AwsIotError);
    expect(throttled).toMatchObject({ failure: 'throttled', retryable: true, operation: 'ReplaceTopicRule' });
  });

  it('enables and disables by the AWS name', async () => {
    const { iot, deployer } = setUp();
    iot.on(EnableTopicRuleCommand).resolves({});
    iot.on(DisableTopicRuleCommand).resolves({});
    await deployer.disable(WS, 'alerts');
    await deployer.enable(WS, 'alerts');
    expect(iot.commandCalls(DisableTopicRuleCommand).map((call) => call.args[0].input)).toEqual([{ ruleName: `${NAME_PREFIX}alerts` }]);
    expect(iot.commandCalls(EnableTopicRuleCommand).map((call) => call.args[0].input)).toEqual([{ ruleName: `${NAME_PREFIX}alerts` }]);
  });

  it('deletes a rule, a missing one being fine, and passes other failures on', async () => {
    const { iot, deployer } = setUp();
    iot.on(DeleteTopicRuleCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'gone', ...meta }))
      .rejects(new ThrottlingException({ message: 'Rate exceeded', ...meta }));
    await expect(deployer.remove(WS, 'alerts')).resolves.toBeUndefined();
    expect(iot.commandCalls(DeleteTopicRuleCommand)[0]?.args[0].input).toEqual({ ruleName: `${NAME_PREFIX}alerts` });
    await expect(deployer.remove(WS, 'alerts')).rejects.toMatchObject({ failure: 'throttled', operation: 'DeleteTopicRule' });
  });

  it("lists every page and keeps only the workspace's rules", async () => {
    const { iot, deployer } = setUp();
    iot.on(ListTopicRulesCommand)
      .resolves({ rules: [{ ruleName: `${NAME_PREFIX}alerts`, ruleDisabled: false, topicPattern: 'things/+/events' }, { ruleName: 'citus_telemetry' }], nextToken: 'p2' });
    iot.on(ListTopicRulesCommand, { nextToken: 'p2' }).resolves({
      rules: [{ ruleName: `${awsRuleName('citus', 'ws_1', 'alerts')}` }, { ruleName: `${NAME_PREFIX}store_telemetry`, ruleDisabled: true }],
    });
    expect(await deployer.list(WS)).toEqual([
      { name: 'alerts', awsRuleName: `${NAME_PREFIX}alerts`, ruleDisabled: false, topicPattern: 'things/+/events' },
      { name: 'store_telemetry', awsRuleName: `${NAME_PREFIX}store_telemetry`, ruleDisabled: true },
    ]);
    expect(iot.commandCalls(ListTopicRulesCommand).map((call) => call.args[0].input)).toEqual([{ maxResults: 10_000 }, { maxResults: 10_000, nextToken: 'p2' }]);
  });
});
