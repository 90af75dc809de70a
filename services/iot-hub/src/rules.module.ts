import { join } from 'node:path';
import { IoTClient } from '@aws-sdk/client-iot';
import { TELEMETRY_TABLE_NAMES } from '@citus/dynamodb';
import { AesGcmSecretCipher, loadOrCreateSecretKey, type Logger, type ServiceContext } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { AwsTopicRuleMirror } from './adapters/aws/aws-topic-rule.mirror.js';
import { topicRuleRoutes } from './adapters/http/topic-rule.routes.js';
import { HubActionRunner, type AppEndpoints } from './adapters/rules/hub-action.runner.js';
import { SqliteTopicRuleRepository, TOPIC_RULE_MIGRATIONS } from './adapters/sqlite/topic-rule.repository.js';
import { RuleDispatcher } from './app/rule-dispatcher.js';
import { RuleEngine } from './app/rule-engine.js';
import type { ShadowService } from './app/shadow.service.js';
import { TopicRuleService } from './app/topic-rule.service.js';
import type { IotHubConfig } from './config.js';
import type { ThingDirectory } from './domain/device-session.model.js';
import type { MessagePublisher } from './domain/message-publisher.port.js';

export interface RulesModuleContext extends ServiceContext {
  config: IotHubConfig;
  things: ThingDirectory;
  publisher: MessagePublisher;
  shadows: ShadowService;
  apps?: AppEndpoints;
  logger: Logger;
}

/** AWS mode's copy of the rules in AWS IoT Core, when CITUS_AWS_IOT_RULES is on (the config made sure of its settings). */
function awsMirror(config: IotHubConfig): AwsTopicRuleMirror | undefined {
  if (config.CITUS_AWS_IOT_RULES !== 'on') return undefined;
  return new AwsTopicRuleMirror(new IoTClient({ region: config.AWS_REGION as string }), {
    rulePrefix: config.CITUS_AWS_IOT_RULE_PREFIX,
    roleArn: config.CITUS_AWS_IOT_RULE_ROLE_ARN as string,
    telemetryTableName: `${config.CITUS_DYNAMODB_TABLE_PREFIX}${TELEMETRY_TABLE_NAMES.telemetry}`,
    appsBaseUrl: config.CITUS_AWS_IOT_APPS_URL ?? '',
  });
}

/**
 * Topic rules (issue 4): their definitions in `rules.db` (signing secrets sealed with the data
 * dir's `secrets.key`), the engine the broker runs on each publish and the dispatcher that takes
 * the actions after the PUBACK. The dispatcher stops before the stores close.
 */
export function createRulesModule(ctx: RulesModuleContext) {
  const logger = ctx.logger.child({ component: 'rules' });
  const db = openDatabase(join(ctx.dataDir, 'rules.db'), { module: 'rules', migrations: TOPIC_RULE_MIGRATIONS });
  const cipher = new AesGcmSecretCipher(loadOrCreateSecretKey(join(ctx.dataDir, 'secrets.key')));
  const mirror = awsMirror(ctx.config);
  const publicHttpOnly = ctx.config.CITUS_RULE_HTTP_PRIVATE === 'deny';
  const definitions = new TopicRuleService(new SqliteTopicRuleRepository(db), cipher, logger, { ...(mirror ? { mirror } : {}), publicHttpOnly });
  definitions.load();
  const runner = new HubActionRunner({
    publisher: ctx.publisher,
    shadows: ctx.shadows,
    things: ctx.things,
    ...(ctx.apps ? { apps: ctx.apps } : {}),
    httpTimeoutMs: ctx.config.CITUS_RULE_HTTP_TIMEOUT_MS,
    publicHttpOnly,
  });
  const dispatcher = new RuleDispatcher(runner, logger, {
    attempts: ctx.config.CITUS_RULE_ACTION_ATTEMPTS,
    retryBaseMs: ctx.config.CITUS_RULE_RETRY_BASE_MS,
    queueLimit: ctx.config.CITUS_RULE_QUEUE_LIMIT,
  });
  ctx.shutdown.add('rule store', async () => {
    await dispatcher.stop();
    db.close();
  });
  return {
    definitions,
    dispatcher,
    engine: new RuleEngine(definitions, dispatcher),
    routes: topicRuleRoutes(definitions, ctx.authenticate),
  };
}
