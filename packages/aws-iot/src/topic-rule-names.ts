import { createHash } from 'node:crypto';

/**
 * AWS IoT rule names are 1-128 letters, digits and `_`, one namespace per account and region
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_TopicRuleListItem.html), while the
 * platform's rule names are per workspace. An AWS rule is named
 * `{rulePrefix}_{workspace key}_{rule name}`.
 */
export const MAX_AWS_RULE_NAME = 128;

/** The installation's prefix: letters, digits and `_`, short enough to leave room for the rest. */
const RULE_PREFIX = /^[A-Za-z0-9_]{1,32}$/;

/** Letters and digits of the workspace id kept in the key, so a person can tell whose rule it is. */
const READABLE_CHARS = 16;
/** Hex digits of SHA-256 over the workspace id: 48 bits, so two workspaces alike in their readable part still differ. */
const HASH_CHARS = 12;

/** A rule name or prefix that cannot become an AWS rule name. */
export class AwsRuleNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AwsRuleNameError';
  }
}

/**
 * A workspace id (1-64 characters of anything) as letters and digits only: the id's own letters
 * and digits (at most 16), then a hash of the whole id. The key never contains `_`, so
 * `{prefix}_{key}_` names one workspace's rules and no other's: another key would have to be
 * equal up to the first `_` after the prefix. Stable, since it depends on the id alone.
 */
export function workspaceRuleKey(workspaceId: string): string {
  const readable = workspaceId.replace(/[^A-Za-z0-9]/g, '').slice(0, READABLE_CHARS);
  const hash = createHash('sha256').update(workspaceId, 'utf8').digest('hex').slice(0, HASH_CHARS);
  return `${readable}${hash}`;
}

/** The start every AWS rule name of the workspace has: what `list` filters by. */
export function awsRuleNamePrefix(rulePrefix: string, workspaceId: string): string {
  if (!RULE_PREFIX.test(rulePrefix)) throw new AwsRuleNameError(`the rule prefix "${rulePrefix}" must be 1-32 letters, digits and _`);
  return `${rulePrefix}_${workspaceRuleKey(workspaceId)}_`;
}

/** The AWS rule name of a workspace's rule; refused when it would exceed AWS's 128 characters. */
export function awsRuleName(rulePrefix: string, workspaceId: string, ruleName: string): string {
  if (!/^[A-Za-z0-9_]{1,128}$/.test(ruleName)) throw new AwsRuleNameError(`the rule name "${ruleName}" must be 1-128 letters, digits and _`);
  const prefix = awsRuleNamePrefix(rulePrefix, workspaceId);
  const name = `${prefix}${ruleName}`;
  if (name.length > MAX_AWS_RULE_NAME) {
    throw new AwsRuleNameError(
      `the rule name "${ruleName}" is too long for AWS mode: with the prefix "${prefix}" at most ${MAX_AWS_RULE_NAME - prefix.length} characters fit in AWS's ${MAX_AWS_RULE_NAME}`,
    );
  }
  return name;
}

/** The platform's rule name in an AWS rule name of the workspace, undefined for any other rule. */
export function platformRuleName(rulePrefix: string, workspaceId: string, awsName: string): string | undefined {
  const prefix = awsRuleNamePrefix(rulePrefix, workspaceId);
  return awsName.startsWith(prefix) && awsName.length > prefix.length ? awsName.slice(prefix.length) : undefined;
}
