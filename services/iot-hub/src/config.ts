import { z } from 'zod';
import { dynamoDbFields, hostName, hostNameList, port, requireAwsRegion } from '@citus/kit';

export const IotHubConfig = z
  .object({
    MQTT_TLS_PORT: port(8883),
    /** Interface the MQTT listener binds to. */
    MQTT_HOST: z.string().min(1).default('0.0.0.0'),
    /** Extra DNS names or IP addresses for the hub's server certificate, besides localhost and 127.0.0.1. */
    CITUS_HUB_HOSTNAMES: hostNameList,
    /** The host name devices are told to connect to; always in the server certificate. */
    CITUS_MQTT_ENDPOINT: hostName.default('localhost'),
    /**
     * Where telemetry is stored: the embedded SQLite file or DynamoDB (`telemetry-store.module.ts`).
     * Aggregates and latest values are served by the SQLite store only.
     */
    CITUS_TELEMETRY_STORE: z.enum(['sqlite', 'dynamodb']).default('sqlite'),
    ...dynamoDbFields,
    /** How often expired telemetry and dead letters are deleted, for workspaces with a retention period. */
    CITUS_RETENTION_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  })
  .superRefine((config, context) => {
    if (config.CITUS_TELEMETRY_STORE !== 'dynamodb') return;
    requireAwsRegion(config.AWS_REGION, 'CITUS_TELEMETRY_STORE', context);
  });
export type IotHubConfig = z.infer<typeof IotHubConfig>;
