import { z } from 'zod';
import { dynamoDbFields, requireAwsRegion, telemetryStore } from '@citus/kit';

export const AnalyticsConfig = z
  .object({
    CITUS_TELEMETRY_STORE: telemetryStore,
    CITUS_ANALYTICS_LIVE_SERIES: z.coerce
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe(
        'detectors kept in memory (about 50 KiB each with `pattern`); the least recently used beyond it are saved and reopened from `analytics.db` at their next point',
      ),
    CITUS_ANALYTICS_MAX_SERIES_PER_THING: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(256)
      .describe(
        'series one thing may have (each numeric field of each stream is one; a device inventing field names must not grow them without end); points of further new series are counted as refused and not analysed',
      ),
    CITUS_ANALYTICS_SAVE_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe(
        'how often (1–3600 s) detector states are saved (also at stop, and when a series leaves memory); after a crash, up to this much telemetry is read again (the detectors skip what their saved states hold)',
      ),
    ...dynamoDbFields,
  })
  .superRefine((config, context) => {
    if (config.CITUS_TELEMETRY_STORE === 'dynamodb') requireAwsRegion(config.AWS_REGION, 'CITUS_TELEMETRY_STORE', context);
  });
export type AnalyticsConfig = z.infer<typeof AnalyticsConfig>;
