import { z } from 'zod';
import { RELEASE_ARTIFACT_MAX_MB } from '@citus/contracts';
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
    CITUS_RELEASE_STORE: z
      .enum(['filesystem', 's3'])
      .default('filesystem')
      .describe("where release artifacts are kept: `filesystem` (the data dir's `blobs/`) or `s3` (CITUS_RELEASE_BUCKET, in AWS_REGION)"),
    CITUS_RELEASE_BUCKET: z.string().min(3).max(63).optional().describe('the S3 bucket of release artifacts (CITUS_RELEASE_STORE=s3)'),
    CITUS_RELEASE_PREFIX: z
      .string()
      .max(200)
      .regex(/^([A-Za-z0-9._-]+\/)*$/, 'empty, or path levels each ending in /')
      .default('')
      .describe('prepended to the S3 keys of release artifacts, e.g. `citus/`'),
    CITUS_RELEASE_MAX_MB: z.coerce
      .number()
      .int()
      .min(1)
      .max(RELEASE_ARTIFACT_MAX_MB)
      .default(RELEASE_ARTIFACT_MAX_MB)
      .describe(`the largest release artifact taken, in MB (at most ${RELEASE_ARTIFACT_MAX_MB}, the gateway's limit)`),
    ...dynamoDbFields,
  })
  .superRefine((config, context) => {
    if (config.CITUS_RELEASE_STORE === 's3') {
      requireAwsRegion(config.AWS_REGION, 'CITUS_RELEASE_STORE', context, 's3');
      if (!config.CITUS_RELEASE_BUCKET) context.addIssue({ code: 'custom', path: ['CITUS_RELEASE_BUCKET'], message: 'CITUS_RELEASE_STORE=s3 needs the bucket of release artifacts' });
    }
    if (config.CITUS_REGISTRY_STORE !== 'dynamodb') return;
    requireAwsRegion(config.AWS_REGION, 'CITUS_REGISTRY_STORE', context);
  });
export type DeviceLifecycleConfig = z.infer<typeof DeviceLifecycleConfig>;
