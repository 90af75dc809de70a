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
      .describe('messages a topic rule may have waiting for its actions; past it, new ones go straight to its error action (a slow endpoint cannot hold the hub\'s memory)'),
    CITUS_RULE_HTTP_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(10_000)
      .describe("time limit (ms) of one request of a topic rule's http or app action"),
  })
  .superRefine((config, context) => {
    if (config.CITUS_TELEMETRY_STORE !== 'dynamodb') return;
    requireAwsRegion(config.AWS_REGION, 'CITUS_TELEMETRY_STORE', context);
  });
export type IotHubConfig = z.infer<typeof IotHubConfig>;
