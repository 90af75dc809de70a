import { z } from 'zod';
import { dynamoDbFields, hostName, requireAwsRegion } from '@citus/kit';

export const DeviceLifecycleConfig = z
  .object({
    /** How long a declared device's activation code stays valid. */
    CITUS_ACTIVATION_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(72),
    CITUS_DEVICE_CERT_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
    /** The MQTT host name devices are told to connect to. */
    CITUS_MQTT_ENDPOINT: hostName.default('localhost'),
    /** Where the device registry is stored: the embedded SQLite file or DynamoDB (`registry-store.module.ts`). */
    CITUS_REGISTRY_STORE: z.enum(['sqlite', 'dynamodb']).default('sqlite'),
    ...dynamoDbFields,
  })
  .superRefine((config, context) => {
    if (config.CITUS_REGISTRY_STORE !== 'dynamodb') return;
    requireAwsRegion(config.AWS_REGION, 'CITUS_REGISTRY_STORE', context);
  });
export type DeviceLifecycleConfig = z.infer<typeof DeviceLifecycleConfig>;
