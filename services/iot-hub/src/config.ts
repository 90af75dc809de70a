import { z } from 'zod';
import { dynamoDbFields, hostNameList, mqttEndpoint, port, requireAwsRegion, telemetryStore } from '@citus/kit';

export const IotHubConfig = z
  .object({
    MQTT_TLS_PORT: port(8883).describe('port of the MQTT over TLS listener'),
    MQTT_HOST: z
      .string()
      .min(1)
      .default('0.0.0.0')
      .describe('interface of the MQTT over TLS listener; every interface by default, since it is mutual TLS'),
    CITUS_HUB_HOSTNAMES: hostNameList.describe(
      'extra names/IPs (comma-separated) in the hub\'s server certificate, besides `localhost`, `127.0.0.1` and `CITUS_MQTT_ENDPOINT`',
    ),
    CITUS_MQTT_ENDPOINT: mqttEndpoint,
    CITUS_TELEMETRY_STORE: telemetryStore,
    ...dynamoDbFields,
    CITUS_RETENTION_SWEEP_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(60)
      .describe(
        [
          'how often (1–86400 s) expired telemetry and dead letters are deleted, for workspaces with a retention period;',
          'the same sweep trims the telemetry change log to its last 24 h (like DynamoDB Streams), so an indexer stopped for longer misses what was trimmed',
        ].join(' '),
      ),
    CITUS_RULE_ACTION_ATTEMPTS: z.coerce
      .number()
      .int()
      .min(1)
      .max(20)
      .default(4)
      .describe("tries (1–20) of a topic rule's action before its failure goes to the rule's error action; waits double from CITUS_RULE_RETRY_BASE_MS"),
    CITUS_RULE_RETRY_BASE_MS: z.coerce
      .number()
      .int()
      .min(1)
      .max(600_000)
      .default(1000)
      .describe("wait (ms) before a topic rule action's second try; each later wait doubles, with up to 20 % jitter"),
    CITUS_RULE_QUEUE_LIMIT: z.coerce
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe('messages a topic rule may have waiting for its actions, one topic at most a tenth of them; past either, new ones go straight to its error action (a slow endpoint cannot hold the hub\'s memory, nor one topic the whole rule)'),
    CITUS_RULE_HTTP_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(10_000)
      .describe("time limit (ms) of one request of a topic rule's http or app action"),
    CITUS_RULE_HTTP_PRIVATE: z
      .enum(['deny', 'allow'])
      .default('deny')
      .describe(
        "whether topic rules' http actions may reach loopback, private and link-local addresses (written in the URL or resolved from its name): `deny` keeps a workspace's rules off the platform's own ports and other workspaces' apps; `allow` is for a single-tenant installation or tests whose receivers run on 127.0.0.1",
      ),
    CITUS_AWS_IOT_RULES: z
      .enum(['off', 'on'])
      .default('off')
      .describe(
        [
          "AWS mode's topic rules: `on` deploys every workspace's rules to AWS IoT Core as well (created, replaced, enabled, disabled and deleted there first; what AWS cannot express is refused with a 400),",
          'named `<CITUS_AWS_IOT_RULE_PREFIX>_<workspace key>_<rule>` and scoped to the workspace with `get_registry_data`. Workspaces then get no `store_telemetry`: the telemetry rule of `infra/aws/telemetry.yaml` stores telemetry.',
          'Needs AWS_REGION and CITUS_AWS_IOT_RULE_ROLE_ARN; credentials from the AWS SDK\'s default chain',
        ].join(' '),
      ),
    CITUS_AWS_IOT_RULE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,32}$/, '1-32 letters, digits and _')
      .default('citus')
      .describe('with CITUS_AWS_IOT_RULES=on: the start of every AWS IoT rule name of this installation'),
    CITUS_AWS_IOT_RULE_ROLE_ARN: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN')
      .optional()
      .describe('with CITUS_AWS_IOT_RULES=on: the role AWS IoT assumes for the rules (iot:DescribeThing, iot:Publish, dynamodb:PutItem on the telemetry table)'),
    CITUS_AWS_IOT_APPS_URL: z
      .url({ protocol: /^https$/ })
      .optional()
      .describe('with CITUS_AWS_IOT_RULES=on: the platform\'s public https URL, under which app actions would reach apps (`/apps/<workspace>/<app>/`); AWS mode refuses app actions for now, since the app proxy would refuse AWS IoT'),
  })
  .superRefine((config, context) => {
    if (config.CITUS_AWS_IOT_RULES === 'on') {
      requireAwsRegion(config.AWS_REGION, 'CITUS_AWS_IOT_RULES', context);
      if (config.CITUS_AWS_IOT_RULE_ROLE_ARN === undefined) {
        context.addIssue({ code: 'custom', path: ['CITUS_AWS_IOT_RULE_ROLE_ARN'], message: 'required with CITUS_AWS_IOT_RULES=on' });
      }
    }
    if (config.CITUS_TELEMETRY_STORE !== 'dynamodb') return;
    requireAwsRegion(config.AWS_REGION, 'CITUS_TELEMETRY_STORE', context);
  });
export type IotHubConfig = z.infer<typeof IotHubConfig>;
