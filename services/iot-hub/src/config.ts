import { z } from 'zod';
import { hostName, hostNameList, port } from '@citus/kit';

const AWS_REGION_FORMAT = /^[a-z]{2}(-[a-z]+)+-\d+$/;

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
    /**
     * The AWS region of DynamoDB; credentials come from the AWS SDK's default provider chain. Read
     * only for DynamoDB: other tools set it too, and it must not stop the embedded mode.
     */
    AWS_REGION: z.string().optional(),
    /** DynamoDB Local's URL (it accepts any credentials); unset for AWS. */
    CITUS_DYNAMODB_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    /** Prepended to the table names, so several installations can share one account and region. */
    CITUS_DYNAMODB_TABLE_PREFIX: z
      .string()
      .max(200)
      .regex(/^[a-zA-Z0-9_.-]*$/, 'letters, digits, _ . - (DynamoDB table name characters)')
      .default(''),
    /** How often expired telemetry and dead letters are deleted, for workspaces with a retention period. */
    CITUS_RETENTION_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  })
  .superRefine((config, context) => {
    if (config.CITUS_TELEMETRY_STORE !== 'dynamodb') return;
    if (!config.AWS_REGION) {
      context.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'required when CITUS_TELEMETRY_STORE is dynamodb' });
    } else if (!AWS_REGION_FORMAT.test(config.AWS_REGION)) {
      context.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'an AWS region such as eu-west-1' });
    }
  });
export type IotHubConfig = z.infer<typeof IotHubConfig>;
