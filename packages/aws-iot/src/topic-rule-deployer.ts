import {
  CreateTopicRuleCommand,
  DeleteTopicRuleCommand,
  DisableTopicRuleCommand,
  EnableTopicRuleCommand,
  type IoTClient,
  ListTopicRulesCommand,
  ReplaceTopicRuleCommand,
} from '@aws-sdk/client-iot';
import type { TopicRule } from '@citus/contracts';
import { asAwsIotError, failureOf } from './iot.errors.js';
import type { NamedTopicRule } from './telemetry-rule.js';
import { awsRuleName, platformRuleName } from './topic-rule-names.js';
import { awsTopicRuleOf, type AwsTopicRuleOptions } from './topic-rule-mapping.js';

/** One of the workspace's rules as AWS IoT lists it. */
export interface AwsWorkspaceRule {
  /** The platform's name of the rule. */
  name: string;
  awsRuleName: string;
  ruleDisabled: boolean;
  /** The FROM topic filter, as AWS reports it. */
  topicPattern?: string;
}

/** AWS's largest page of ListTopicRules (https://docs.aws.amazon.com/iot/latest/apireference/API_ListTopicRules.html). */
const LIST_PAGE_SIZE = 10_000;

/**
 * A workspace's topic rules as AWS IoT topic rules, named and scoped by awsTopicRuleOf. Failures
 * AWS answers with are AwsIotErrors (retryable when throttled or unavailable); a rule AWS mode
 * cannot express is an AwsRuleMappingError before any call.
 */
export class AwsTopicRuleDeployer {
  constructor(
    private readonly client: IoTClient,
    private readonly options: AwsTopicRuleOptions,
  ) {}

  /** Creates the rule, or replaces it when the name exists, so saving twice converges. */
  async put(workspaceId: string, rule: TopicRule): Promise<NamedTopicRule> {
    const named = awsTopicRuleOf(workspaceId, rule, this.options);
    try {
      await this.client.send(new CreateTopicRuleCommand(named));
    } catch (error) {
      if (failureOf(error) !== 'conflict') throw asAwsIotError('CreateTopicRule', error);
      await this.call('ReplaceTopicRule', () => this.client.send(new ReplaceTopicRuleCommand(named)));
    }
    return named;
  }

  async enable(workspaceId: string, name: string): Promise<void> {
    const ruleName = this.awsName(workspaceId, name);
    await this.call('EnableTopicRule', () => this.client.send(new EnableTopicRuleCommand({ ruleName })));
  }

  async disable(workspaceId: string, name: string): Promise<void> {
    const ruleName = this.awsName(workspaceId, name);
    await this.call('DisableTopicRule', () => this.client.send(new DisableTopicRuleCommand({ ruleName })));
  }

  /** Deletes the rule; one already gone is fine, so a retried delete succeeds. */
  async remove(workspaceId: string, name: string): Promise<void> {
    const ruleName = this.awsName(workspaceId, name);
    try {
      await this.client.send(new DeleteTopicRuleCommand({ ruleName }));
    } catch (error) {
      if (failureOf(error) !== 'not_found') throw asAwsIotError('DeleteTopicRule', error);
    }
  }

  /**
   * The workspace's rules: every page of the account's rules, kept by the workspace's name
   * prefix (ListTopicRules filters by topic only, not by name).
   */
  async list(workspaceId: string): Promise<AwsWorkspaceRule[]> {
    const rules: AwsWorkspaceRule[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.call('ListTopicRules', () =>
        this.client.send(new ListTopicRulesCommand({ maxResults: LIST_PAGE_SIZE, ...(token ? { nextToken: token } : {}) })),
      );
      for (const item of page.rules ?? []) {
        const name = item.ruleName && platformRuleName(this.options.rulePrefix, workspaceId, item.ruleName);
        if (!item.ruleName || !name) continue;
        rules.push({
          name,
          awsRuleName: item.ruleName,
          ruleDisabled: item.ruleDisabled ?? false,
          ...(item.topicPattern ? { topicPattern: item.topicPattern } : {}),
        });
      }
      nextToken = page.nextToken || undefined;
    } while (nextToken);
    return rules;
  }

  private awsName(workspaceId: string, name: string): string {
    return awsRuleName(this.options.rulePrefix, workspaceId, name);
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw asAwsIotError(operation, error);
    }
  }
}
