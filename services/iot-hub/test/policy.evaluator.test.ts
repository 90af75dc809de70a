import { PolicyDocument, policyIssues, type PolicyStatement } from '@citus/contracts';
import type { IotAction } from '../src/domain/access.port.js';
import { claimPolicy, DEFAULT_DEVICE_POLICY } from '../src/domain/policy/default-policies.js';
import { compilePattern, compilePolicies, matches, PolicySet, type PolicyVariables } from '../src/domain/policy/policy.evaluator.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012:';
const KITCHEN: PolicyVariables = { clientId: 'kitchen-1', thingName: 'kitchen-1' };

/** A document of the given statements, checked by the contract's schema as the API would. */
const documentOf = (...statements: PolicyStatement[]): PolicyDocument => PolicyDocument.parse({ Version: '2012-10-17', Statement: statements });
const allow = (Action: PolicyStatement['Action'], Resource: PolicyStatement['Resource']): PolicyStatement => ({ Effect: 'Allow', Action, Resource });
const deny = (Action: PolicyStatement['Action'], Resource: PolicyStatement['Resource']): PolicyStatement => ({ Effect: 'Deny', Action, Resource });

describe('policy resource patterns', () => {
  it.each([
    // pattern, text, matches?
    ['telemetry/kitchen-1', 'telemetry/kitchen-1', true],
    ['telemetry/kitchen-1', 'telemetry/kitchen-10', false],
    ['telemetry/*', 'telemetry/a/b/c', true], // `*` crosses topic levels, unlike MQTT's `+`
    ['telemetry/*', 'telemetry/', true],
    ['telemetry/*', 'telemetry', false],
    ['*/kitchen', 'a/b/kitchen', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['a*bc', 'abcbc', true], // needs the backtrack to the last star
    ['room-?', 'room-7', true],
    ['room-?', 'room-', false],
    ['room-?', 'room-77', false],
    ['**', 'anything', true],
    ['things/+/state', 'things/+/state', true], // `+` is a literal character in a policy
    ['things/+/state', 'things/kitchen-1/state', false],
    ['things/#', 'things/#', true], // and so is `#`
    ['things/#', 'things/kitchen-1', false],
    ['literal-$(*)', 'literal-*', true], // `$(*)` is AWS's escape for a literal `*`
    ['literal-$(*)', 'literal-x', false],
    ['what$(?)', 'what?', true],
    ['what$(?)', 'whatx', false],
    ['$($){x}', '${x}', true],
    ['$aws/things/x', '$aws/things/x', true], // a `$` that starts no escape or variable is literal
  ])('%s against %s: %s', (pattern, text, expected) => {
    expect(matches(compilePattern(pattern), text, KITCHEN)).toBe(expected);
  });

  it.each([
    ['telemetry/${iot:Connection.Thing.ThingName}', 'telemetry/kitchen-1', true],
    ['telemetry/${iot:Connection.Thing.ThingName}', 'telemetry/kitchen-2', false],
    ['telemetry/${iot:Connection.Thing.ThingName}/*', 'telemetry/kitchen-1/power', true],
    ['${iot:ClientId}-*', 'kitchen-1-x', true],
    ['${iot:ClientId}', 'kitchen-1', true],
  ])('substitutes variables: %s against %s: %s', (pattern, text, expected) => {
    expect(matches(compilePattern(pattern), text, KITCHEN)).toBe(expected);
  });

  it('treats a variable value as literal text, never as a wildcard', () => {
    expect(matches(compilePattern('t/${iot:ClientId}'), 't/abc', { clientId: 'a*' })).toBe(false);
    expect(matches(compilePattern('t/${iot:ClientId}'), 't/a*', { clientId: 'a*' })).toBe(true);
  });

  it('matches nothing when a variable has no value for the connection', () => {
    const claimConnection: PolicyVariables = { clientId: 'batch-7' };
    expect(matches(compilePattern('telemetry/${iot:Connection.Thing.ThingName}*'), 'telemetry/', claimConnection)).toBe(false);
    expect(matches(compilePattern('telemetry/${iot:Connection.Thing.ThingName}*'), 'telemetry/x', claimConnection)).toBe(false);
  });
});

describe('policy evaluation', () => {
  const cases: Array<[string, PolicyDocument[], IotAction, string, boolean]> = [
    ['an exact topic', [documentOf(allow('iot:Publish', `${ARN}topic/a/b`))], 'iot:Publish', 'a/b', true],
    ['implicit deny: nothing allows it', [documentOf(allow('iot:Publish', `${ARN}topic/a/b`))], 'iot:Publish', 'a/c', false],
    ['implicit deny: another action', [documentOf(allow('iot:Publish', `${ARN}topic/a/b`))], 'iot:Receive', 'a/b', false],
    ['no policy at all', [], 'iot:Connect', 'kitchen-1', false],
    ['iot:* covers every action', [documentOf(allow('iot:*', `${ARN}topic/a`))], 'iot:Receive', 'a', true],
    ['a topic resource is not a topic filter', [documentOf(allow('iot:*', `${ARN}topic/a`))], 'iot:Subscribe', 'a', false],
    ['a client resource', [documentOf(allow('iot:Connect', `${ARN}client/\${iot:ClientId}`))], 'iot:Connect', 'kitchen-1', true],
    ['"*" is every resource of every kind', [documentOf(allow(['iot:Subscribe'], '*'))], 'iot:Subscribe', '#', true],
    ['an ARN whose resource part is "*"', [documentOf(allow('iot:Connect', `${ARN}*`))], 'iot:Connect', 'anyone', true],
    ['a resource part starting with a wildcard keeps its kind', [documentOf(allow('iot:Publish', `${ARN}*/a`))], 'iot:Publish', 'x/a', true],
    ['... matched as `{kind}/{name}`', [documentOf(allow('iot:*', `${ARN}*topic/a`))], 'iot:Publish', 'a', true],
    ['... so a topic pattern grants no topic filter', [documentOf(allow('iot:*', `${ARN}*topic/a`))], 'iot:Subscribe', 'a', false],
    ['topicfilter with a literal #', [documentOf(allow('iot:Subscribe', `${ARN}topicfilter/things/#`))], 'iot:Subscribe', 'things/#', true],
    ['... does not grant a narrower filter', [documentOf(allow('iot:Subscribe', `${ARN}topicfilter/things/#`))], 'iot:Subscribe', 'things/kitchen-1', false],
    ['region and account act as wildcards', [documentOf(allow('iot:Publish', 'arn:aws:iot:eu-west-1:999999999999:topic/a'))], 'iot:Publish', 'a', true],
    ['several resources in one statement', [documentOf(allow('iot:Publish', [`${ARN}topic/a`, `${ARN}topic/b`]))], 'iot:Publish', 'b', true],
    [
      'Deny wins within a document',
      [documentOf(allow('iot:Publish', `${ARN}topic/*`), deny('iot:Publish', `${ARN}topic/secret/*`))],
      'iot:Publish',
      'secret/x',
      false,
    ],
    [
      'Deny wins across documents, whatever their order',
      [documentOf(deny('iot:*', `${ARN}topic/secret/*`)), documentOf(allow('iot:Publish', `${ARN}topic/*`))],
      'iot:Publish',
      'secret/x',
      false,
    ],
    [
      'a Deny elsewhere leaves other topics allowed',
      [documentOf(deny('iot:*', `${ARN}topic/secret/*`)), documentOf(allow('iot:Publish', `${ARN}topic/*`))],
      'iot:Publish',
      'public/x',
      true,
    ],
    [
      'a Deny with an unresolved variable denies nothing',
      [documentOf(allow('iot:Publish', `${ARN}topic/*`), deny('iot:Publish', `${ARN}topic/\${iot:Connection.Thing.ThingName}/*`))],
      'iot:Publish',
      'kitchen-1/x',
      true,
    ],
  ];

  it.each(cases)('%s', (_name, documents, action, resource, expected) => {
    expect(compilePolicies(documents).allows(action, resource, { clientId: 'kitchen-1' })).toBe(expected);
  });

  it('merges compiled sets as one evaluation, Deny first', () => {
    const allowAll = compilePolicies([documentOf(allow('iot:*', '*'))]);
    const denySecret = compilePolicies([documentOf(deny('iot:Publish', `${ARN}topic/secret`))]);
    const merged = PolicySet.merge([allowAll, denySecret]);
    expect(merged.allows('iot:Publish', 'secret', KITCHEN)).toBe(false);
    expect(merged.allows('iot:Publish', 'other', KITCHEN)).toBe(true);
    expect(allowAll.allows('iot:Publish', 'secret', KITCHEN)).toBe(true); // the parts are left as they were
  });
});

describe('the default device policy', () => {
  const policy = compilePolicies([DEFAULT_DEVICE_POLICY]);
  const may = (action: IotAction, resource: string) => policy.allows(action, resource, KITCHEN);

  it('is a valid document within AWS limits', () => {
    expect(PolicyDocument.safeParse(DEFAULT_DEVICE_POLICY).success).toBe(true);
  });

  it.each<[IotAction, string, boolean]>([
    ['iot:Connect', 'kitchen-1', true],
    ['iot:Connect', 'kitchen-2', false],
    ['iot:Connect', 'kitchen-10', false],
    ['iot:Publish', 'telemetry/kitchen-1', true],
    ['iot:Publish', 'telemetry/kitchen-1/power', true],
    ['iot:Publish', 'telemetry/kitchen-10', false],
    ['iot:Publish', 'telemetry/kitchen-2', false],
    ['iot:Publish', 'telemetry', false],
    ['iot:Publish', '$aws/things/kitchen-1/shadow/update', true],
    ['iot:Publish', '$aws/things/kitchen-1/shadow/name/lamp/update', true],
    ['iot:Publish', '$aws/things/kitchen-1/jobs/start-next', true],
    ['iot:Publish', '$aws/things/kitchen-10/shadow/update', false],
    ['iot:Publish', '$aws/things/other/shadow/update', false],
    ['iot:Publish', '$aws/things/other/jobs/get', false],
    ['iot:Publish', '$aws/certificates/create/json', false],
    ['iot:Publish', '$aws/events/presence/connected/kitchen-1', false],
    ['iot:Publish', 'things/kitchen-1/state', true],
    ['iot:Publish', 'things/kitchen-2/state', false],
    ['iot:Subscribe', '$aws/things/kitchen-1/shadow/update/accepted', true],
    ['iot:Subscribe', '$aws/things/kitchen-1/shadow/#', true],
    ['iot:Subscribe', '$aws/things/kitchen-1/jobs/notify-next', true],
    ['iot:Subscribe', 'things/kitchen-1/commands', true],
    ['iot:Subscribe', '#', false],
    ['iot:Subscribe', '+/kitchen-1/commands', false],
    ['iot:Subscribe', 'things/+/commands', false],
    ['iot:Subscribe', '$aws/things/+/shadow/update/accepted', false],
    ['iot:Subscribe', '$aws/things/other/shadow/update/accepted', false],
    ['iot:Subscribe', 'telemetry/kitchen-1', false],
    ['iot:Receive', '$aws/things/kitchen-1/shadow/update/delta', true],
    ['iot:Receive', 'things/kitchen-1/commands', true],
    ['iot:Receive', '$aws/things/other/shadow/update/delta', false],
    ['iot:Receive', 'telemetry/kitchen-1', false],
  ])('%s %s: %s', (action, resource, expected) => {
    expect(may(action, resource)).toBe(expected);
  });

  it('grants nothing to a connection without a thing', () => {
    const noThing: PolicyVariables = { clientId: 'kitchen-1' };
    expect(policy.allows('iot:Connect', 'kitchen-1', noThing)).toBe(false);
    expect(policy.allows('iot:Publish', 'telemetry/kitchen-1', noThing)).toBe(false);
  });
});

describe('the claim policy', () => {
  const policy = compilePolicies([claimPolicy('factory')]);
  const batch: PolicyVariables = { clientId: 'batch-7f3' };

  it.each<[IotAction, string, boolean]>([
    ['iot:Connect', 'batch-7f3', true],
    ['iot:Publish', '$aws/certificates/create/json', true],
    ['iot:Publish', '$aws/certificates/create-from-csr/json', true],
    ['iot:Publish', '$aws/provisioning-templates/factory/provision/json', true],
    ['iot:Publish', '$aws/provisioning-templates/other/provision/json', false],
    ['iot:Publish', 'telemetry/batch-7f3', false],
    ['iot:Publish', '$aws/things/batch-7f3/shadow/update', false],
    ['iot:Subscribe', '$aws/certificates/create/json/accepted', true],
    ['iot:Subscribe', '$aws/provisioning-templates/factory/provision/json/#', true],
    ['iot:Subscribe', '#', false],
    ['iot:Receive', '$aws/certificates/create/json/accepted', true],
    ['iot:Receive', 'things/batch-7f3/commands', false],
  ])('%s %s: %s', (action, resource, expected) => {
    expect(policy.allows(action, resource, batch)).toBe(expected);
  });

  it('takes wildcard characters of a template name literally', () => {
    const odd = compilePolicies([claimPolicy('f*')]);
    expect(odd.allows('iot:Publish', '$aws/provisioning-templates/f*/provision/json', batch)).toBe(true);
    expect(odd.allows('iot:Publish', '$aws/provisioning-templates/factory/provision/json', batch)).toBe(false);
  });
});

describe('policy documents', () => {
  const statement = { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}topic/a` };
  /** As the API reports them: the fitting branch of each "one or an array" union, with full paths. */
  const problems = (document: unknown) =>
    policyIssues(PolicyDocument.safeParse(document).error?.issues ?? [], document).map((issue) => `${issue.path.join('.')}: ${issue.message}`);

  it.each<[string, unknown, RegExp]>([
    ['an unknown action', { Version: '2012-10-17', Statement: [{ ...statement, Action: 'iot:UpdateThingShadow' }] }, /^Statement\.0\.Action: unknown action "iot:UpdateThingShadow"/],
    ['an unknown action in a list', { Version: '2012-10-17', Statement: { ...statement, Action: ['iot:Publish', 'iot:Foo'] } }, /^Statement\.Action\.1: unknown action/],
    ['another version', { Version: '2008-10-17', Statement: [statement] }, /Version must be/],
    ['a Condition', { Version: '2012-10-17', Statement: [{ ...statement, Condition: {} }] }, /unsupported statement element Condition/],
    ['a thing resource', { Version: '2012-10-17', Statement: [{ ...statement, Resource: `${ARN}thing/x` }] }, /client\/, topic\/ and topicfilter\//],
    ['a resource that is no ARN', { Version: '2012-10-17', Statement: [{ ...statement, Resource: 'topic/a' }] }, /is "\*" or an ARN/],
    ['an unknown variable', { Version: '2012-10-17', Statement: [{ ...statement, Resource: `${ARN}topic/\${iot:Connection.Thing.Attributes[x]}` }] }, /unsupported policy variable/],
    ['an unclosed variable', { Version: '2012-10-17', Statement: [{ ...statement, Resource: `${ARN}topic/\${iot:ClientId` }] }, /not closed/],
    ['no statement', { Version: '2012-10-17', Statement: [] }, /Statement/],
  ])('refuses %s', (_name, document, message) => {
    expect(problems(document).join('\n')).toMatch(message);
  });

  it("applies AWS's 2048-character limit without counting whitespace", () => {
    const withTopic = (length: number) => ({ Version: '2012-10-17', Statement: [{ ...statement, Resource: `${ARN}topic/${'a'.repeat(length)}` }] });
    const base = JSON.stringify(withTopic(0)).length;
    expect(PolicyDocument.safeParse(withTopic(2048 - base)).success).toBe(true);
    expect(problems(withTopic(2049 - base)).join()).toMatch(/at most 2048 characters/);
    // `,"Id":"..."` adds 8 characters besides the spaces, which do not count.
    const spaced = { ...withTopic(2048 - base - 8), Id: ' '.repeat(100) };
    expect(JSON.stringify(spaced).length).toBe(2148);
    expect(PolicyDocument.safeParse(spaced).success).toBe(true);
    expect(PolicyDocument.safeParse({ ...withTopic(2049 - base - 8), Id: ' ' }).success).toBe(false);
  });
});
