import { z } from 'zod';
import { hostName } from '@citus/kit';

const AWS_REGION_FORMAT = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export const DeviceLifecycleConfig = z
  .object({
    /** How long a declared device's activation code stays valid. */
    CITUS_ACTIVATION_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(72),
    CITUS_DEVICE_CERT_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
    /** The MQTT host name devices are told to connect to. */
    CITUS_MQTT_ENDPOINT: hostName.default('localhost'),
    /** Where the device registry is stored: the embedded SQLite file or DynamoDB (`registry-store.module.ts`). */
    CITUS_REGISTRY_STORE: z.enum(['sqlite', 'dynamodb']).default('sqlite'),
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
  })
  .superRefine((config, context) => {
    if (config.CITUS_REGISTRY_STORE !== 'dynamodb') return;
    if (!config.AWS_REGION) {
      context.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'required when CITUS_REGISTRY_STORE is dynamodb' });
    } else if (!AWS_REGION_FORMAT.test(config.AWS_REGION)) {
      context.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'an AWS region such as eu-west-1' });
    }
  });
export type DeviceLifecycleConfig = z.infer<typeof DeviceLifecycleConfig>;
