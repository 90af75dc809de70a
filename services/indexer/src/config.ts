import { z } from 'zod';
import { dynamoDbFields, requireAwsRegion } from '@citus/kit';

/** Elasticsearch's URL: http(s), and no credentials in it (URLs are logged, shown and copied). */
const elasticsearchUrl = z
  .url({ protocol: /^https?$/ })
  .refine((value) => {
    // Refinements run on a value the format check refused too; that one reports itself.
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.username === '' && url.password === '';
  }, 'must not carry a user name or password: set ELASTICSEARCH_API_KEY instead');

export const IndexerConfig = z
  .object({
    /**
     * Where the search index lives: the embedded SQLite FTS5 file (`search.db`) or Elasticsearch.
     * With `sqlite` and the SQLite telemetry store the indexer runs on a worker thread; any other
     * combination runs it on the main thread (its work is then mostly network I/O).
     */
    CITUS_SEARCH: z.enum(['sqlite', 'elasticsearch']).default('sqlite'),
    ELASTICSEARCH_URL: elasticsearchUrl.optional(),
    /** An Elasticsearch API key (the base64 `encoded` form), sent as `Authorization: ApiKey`. Never logged. */
    ELASTICSEARCH_API_KEY: z.string().min(1).optional(),
    /** Prepended to the index names (`<prefix>-telemetry`, `<prefix>-devices`); Elasticsearch index name characters. */
    CITUS_SEARCH_INDEX_PREFIX: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, _ and -, not starting with _ or -')
      .default('citus'),
    /**
     * Where the telemetry the indexer follows is stored, as for the hub (the same variable): the
     * embedded change log in `telemetry.db`, or the DynamoDB telemetry table's stream.
     */
    CITUS_TELEMETRY_STORE: z.enum(['sqlite', 'dynamodb']).default('sqlite'),
    ...dynamoDbFields,
  })
  .superRefine((config, context) => {
    if (config.CITUS_SEARCH === 'elasticsearch' && !config.ELASTICSEARCH_URL) {
      context.addIssue({ code: 'custom', path: ['ELASTICSEARCH_URL'], message: 'required when CITUS_SEARCH is elasticsearch' });
    }
    if (config.CITUS_TELEMETRY_STORE !== 'dynamodb') return;
    requireAwsRegion(config.AWS_REGION, 'CITUS_TELEMETRY_STORE', context);
  });
export type IndexerConfig = z.infer<typeof IndexerConfig>;

/** The embedded combination: both ends in SQLite files, indexed on a worker thread. */
export const isEmbedded = (config: IndexerConfig): boolean => config.CITUS_TELEMETRY_STORE === 'sqlite' && config.CITUS_SEARCH === 'sqlite';
