import { createHmac } from 'node:crypto';
import type { IoTClient } from '@aws-sdk/client-iot';
import type { TopicRule } from '@citus/contracts';
import { AwsIotError, AwsRuleMappingError, AwsRuleNameError, AwsTopicRuleDeployer, RuleSqlShapeError, type AwsTopicRuleOptions } from '@citus/aws-iot';
import { AppError, badRequest } from '@citus/kit';
import type { TopicRuleMirror } from '../../domain/rules/topic-rule-mirror.port.js';

/**
 * The token AWS mode's http and app actions carry in `x-citus-rule-token` instead of the hub's
 * per-message signature (AWS IoT cannot sign): derived from the rule's signing secret, so a
 * receiver holding the secret can check it, and no second secret has to be shown.
 */
export const awsRuleToken = (signingSecret: string): string => createHmac('sha256', signingSecret).update('x-citus-rule-token').digest('hex');

/**
 * Topic rules deployed to AWS IoT Core (`@citus/aws-iot`'s mapping and deployer): what AWS cannot
 * express is a 400 naming the field; AWS refusing or unavailable is a 503 naming the call.
 */
export class AwsTopicRuleMirror implements TopicRuleMirror {
  constructor(
    private readonly client: IoTClient,
    private readonly options: Omit<AwsTopicRuleOptions, 'ruleToken'>,
  ) {}

  async put(workspaceId: string, rule: TopicRule, signingSecret: string): Promise<void> {
    const token = awsRuleToken(signingSecret);
    await this.call(() => this.deployer(() => token).put(workspaceId, rule));
  }

  async remove(workspaceId: string, name: string): Promise<void> {
    await this.call(() => this.deployer().remove(workspaceId, name));
  }

  private deployer(token?: () => string): AwsTopicRuleDeployer {
    return new AwsTopicRuleDeployer(this.client, { ...this.options, ...(token ? { ruleToken: token } : {}) });
  }

  private async call(step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (error instanceof AwsRuleMappingError || error instanceof AwsRuleNameError || error instanceof RuleSqlShapeError) {
        throw badRequest(`AWS IoT cannot run this rule: ${error.message}`);
      }
      if (error instanceof AwsIotError) throw new AppError('unavailable', `AWS IoT did not take the rule: ${error.message}`);
      throw error;
    }
  }
}
