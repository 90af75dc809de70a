// Mocked: AWS IoT Core's control plane cannot run here. The hub's rule store is a real SQLite file;
// the IoT client is stubbed with aws-sdk-client-mock and the tests check the requests sent to it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTopicRuleCommand, DeleteTopicRuleCommand, IoTClient, ReplaceTopicRuleCommand, ResourceAlreadyExistsException, ThrottlingException } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { AesGcmSecretCipher, AppError, createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { awsRuleToken, AwsTopicRuleMirror } from '../src/adapters/aws/aws-topic-rule.mirror.js';
import { SqliteTopicRuleRepository, TOPIC_RULE_MIGRATIONS } from '../src/adapters/sqlite/topic-rule.repository.js';
import { TopicRuleService } from '../src/app/topic-rule.service.js';

const ROLE = 'arn:aws:iam::123456789012:role/citus-rules';
const meta = { $metadata: {} };

describe('topic rules in AWS mode (mocked AWS IoT control plane)', () => {
  let dir: string;
  let db: SqliteDatabase;
  let iot: ReturnType<typeof mockClient>;
  let rules: TopicRuleService;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-rules-aws-'));
    db = openDatabase(join(dir, 'rules.db'), { module: 'rules', migrations: TOPIC_RULE_MIGRATIONS });
    const client = new IoTClient({ region: 'eu-west-1' });
    iot = mockClient(client);
    const mirror = new AwsTopicRuleMirror(client, { rulePrefix: 'citus', roleArn: ROLE, telemetryTableName: 'prod-telemetry', appsBaseUrl: 'https://iot.example.com' });
    rules = new TopicRuleService(new SqliteTopicRuleRepository(db), new AesGcmSecretCipher(Buffer.alloc(32, 7)), createLogger({ level: 'silent' }), { mirror });
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const hook = { name: 'forward', sql: "SELECT temperature FROM 'telemetry/+' WHERE temperature > 30", actions: [{ http: { url: 'https://hooks.example.com/in' } }] };

  it('creates the rule in AWS IoT, scoped to the workspace, with the token derived from the secret shown once', async () => {
    iot.on(CreateTopicRuleCommand).resolves(meta);
    const created = await rules.create('ws_1', hook);
    const [call] = iot.commandCalls(CreateTopicRuleCommand);
    const input = call?.args[0].input;
    expect(input?.ruleName).toMatch(/^citus_[A-Za-z0-9]+_forward$/);
    expect(input?.topicRulePayload?.sql).toBe(
      `SELECT temperature FROM 'telemetry/+' WHERE (temperature > 30) AND get_registry_data('DescribeThing', clientid(), '${ROLE}').attributes.workspaceId = 'ws_1'`,
    );
    expect(input?.topicRulePayload?.actions).toEqual([
      { http: { url: 'https://hooks.example.com/in', headers: [{ key: 'x-citus-rule-token', value: awsRuleToken(created.signingSecret) }] } },
    ]);
    expect(rules.list('ws_1').map((rule) => rule.name)).toEqual(['forward']);
  });

  it('gives a workspace no store_telemetry: the CloudFormation telemetry rule stores telemetry in AWS mode', () => {
    expect(rules.list('ws_1')).toEqual([]);
    expect(rules.rulesOf('ws_1').rules).toEqual([]);
    expect(iot.calls()).toHaveLength(0);
  });

  it('refuses with a 400 what AWS cannot express, and keeps nothing', async () => {
    const both = { name: 'both', sql: "SELECT * FROM 'telemetry/+'", actions: [{ telemetryTable: {} }, { republish: { topic: 'things/${topic(2)}/copy' } }] };
    await expect(rules.create('ws_1', both)).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/AWS IoT cannot run this rule/) });
    expect(iot.calls()).toHaveLength(0);
    expect(rules.list('ws_1')).toEqual([]);
  });

  it('answers 503 when AWS IoT refuses or is unavailable, and keeps nothing', async () => {
    iot.on(CreateTopicRuleCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const refused = rules.create('ws_1', hook);
    await expect(refused).rejects.toBeInstanceOf(AppError);
    await expect(refused).rejects.toMatchObject({ code: 'unavailable' });
    expect(rules.list('ws_1')).toEqual([]);
  });

  it('takes changes of one rule one at a time: of two creates at once, AWS sees only the one that is kept', async () => {
    iot.on(CreateTopicRuleCommand).resolves(meta);
    const outcomes = await Promise.allSettled([rules.create('ws_1', hook), rules.create('ws_1', { ...hook, sql: "SELECT humidity FROM 'telemetry/+'" })]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected']);
    expect(outcomes[1]).toMatchObject({ reason: { code: 'conflict' } });
    expect(iot.commandCalls(CreateTopicRuleCommand)).toHaveLength(1);
    expect(iot.commandCalls(CreateTopicRuleCommand)[0]?.args[0].input.topicRulePayload?.sql).toMatch(/^SELECT temperature/);
  });

  it('replaces, disables and deletes there first', async () => {
    iot.on(CreateTopicRuleCommand).resolvesOnce(meta).rejects(new ResourceAlreadyExistsException({ message: 'exists', $metadata: {}, resourceId: 'x', resourceArn: 'y' }));
    iot.on(ReplaceTopicRuleCommand).resolves(meta);
    iot.on(DeleteTopicRuleCommand).resolves(meta);
    await rules.create('ws_1', hook);
    await rules.replace('ws_1', 'forward', { ...hook, sql: "SELECT humidity FROM 'telemetry/+'" });
    await rules.setDisabled('ws_1', 'forward', true);
    const replaced = iot.commandCalls(ReplaceTopicRuleCommand).map((call) => call.args[0].input.topicRulePayload);
    expect(replaced.map((payload) => [payload?.sql?.startsWith('SELECT humidity'), payload?.ruleDisabled])).toEqual([
      [true, false],
      [true, true],
    ]);
    expect(rules.get('ws_1', 'forward').ruleDisabled).toBe(true);
    await rules.delete('ws_1', 'forward');
    expect(iot.commandCalls(DeleteTopicRuleCommand)[0]?.args[0].input.ruleName).toMatch(/_forward$/);
    expect(rules.list('ws_1')).toEqual([]);
  });
});
