import { z } from 'zod';
import { dynamoDbFields, requireAwsRegion } from '@citus/kit';

export const AnalyticsConfig = z
  .object({
    /**
     * Where the telemetry the detectors follow is stored, as for the hub (the same variable): the
     * embedded change log in `telemetry.db`, or the DynamoDB telemetry table's stream.
     */
    CITUS_TELEMETRY_STORE: z.enum(['sqlite', 'dynamodb']).default('sqlite'),
    /**
     * Series detectors kept in memory; beyond it the least recently used are reopened from their
     * saved state when their next point comes. What one costs depends on the detector's state.
     */
    CITUS_ANALYTICS_LIVE_SERIES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    /** Series one thing may have (each numeric field of each stream is one); points of further new ones are not analysed. */
    CITUS_ANALYTICS_MAX_SERIES_PER_THING: z.coerce.number().int().min(1).max(10_000).default(256),
    /**
     * Seconds between saves of the detectors' states (also saved at stop, and when a series leaves
     * memory). The change feed's saved position waits for them, so after a crash up to this much
     * telemetry is read again and the detectors continue exactly from their saved states.
     */
    CITUS_ANALYTICS_SAVE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    ...dynamoDbFields,
  })
  .superRefine((config, context) => {
    if (config.CITUS_TELEMETRY_STORE === 'dynamodb') requireAwsRegion(config.AWS_REGION, 'CITUS_TELEMETRY_STORE', context);
  });
export type AnalyticsConfig = z.infer<typeof AnalyticsConfig>;
