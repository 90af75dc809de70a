import { z } from 'zod';
import { dynamoDbFields, mqttEndpoint, registryStore, requireAwsRegion } from '@citus/kit';

export const DeviceLifecycleConfig = z
  .object({
    CITUS_ACTIVATION_TTL_HOURS: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(72)
      .describe('how long a declared device\'s activation code is valid, in hours (at most 720)'),
    CITUS_DEVICE_CERT_DAYS: z.coerce.number().int().min(1).max(3650).default(365).describe('validity of device certificates, in days (1–3650)'),
    CITUS_MQTT_ENDPOINT: mqttEndpoint,
    CITUS_REGISTRY_STORE: registryStore,
    ...dynamoDbFields,
  })
  .superRefine((config, context) => {
    if (config.CITUS_REGISTRY_STORE !== 'dynamodb') return;
    requireAwsRegion(config.AWS_REGION, 'CITUS_REGISTRY_STORE', context);
  });
export type DeviceLifecycleConfig = z.infer<typeof DeviceLifecycleConfig>;
