/** AWS mode for the platform's topic rules: names, the mapping to AWS IoT topic rules, and their deployment. */
export { RuleSqlShapeError } from './topic-rule-sql.js';
export { AwsRuleNameError, awsRuleName, awsRuleNamePrefix, MAX_AWS_RULE_NAME, platformRuleName, workspaceRuleKey } from './topic-rule-names.js';
export { AwsRuleMappingError, awsTopicRuleOf, type AwsTopicRuleOptions, RULE_TOKEN_HEADER, scopeCondition } from './topic-rule-mapping.js';
export { AwsTopicRuleDeployer, type AwsWorkspaceRule } from './topic-rule-deployer.js';
