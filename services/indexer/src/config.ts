import { z } from 'zod';
import { dynamoDbFields, registryStore, requireAwsRegion, telemetryStore } from '@citus/kit';

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
    // The worker thread suits SQLite's CPU-bound work; with a network at either end the work is mostly I/O.
    CITUS_SEARCH: z
      .enum(['sqlite', 'elasticsearch'])
      .default('sqlite')
      .describe(
        [
          'the search index: `sqlite` (FTS5 in `search.db`) or `elasticsearch`.',
          'With `sqlite` and `CITUS_TELEMETRY_STORE=sqlite` the indexer runs on a worker thread (checkpoints in `indexer.db`); any other combination indexes on the main thread.',
          'The Elasticsearch adapter has not met a real cluster here: its tests are **mocked** (`*.mocked.test.ts`, `@elastic/elasticsearch-mock`) and check the requests it sends',
        ].join(' '),
      ),
    ELASTICSEARCH_URL: elasticsearchUrl
      .optional()
      .describe(
        [
          'with `elasticsearch`: the cluster\'s URL (required), `http(s)://host:port`, without user or password (refused: use `ELASTICSEARCH_API_KEY`).',
          'The index templates and indices are created before the first write; a cluster unreachable at start does not stop the platform: searches answer 503 and indexing retries until it answers',
        ].join(' '),
      ),
    ELASTICSEARCH_API_KEY: z
      .string()
      .min(1)
      .optional()
      .describe('with `elasticsearch`: an API key (its base64 `encoded` form), sent as `Authorization: ApiKey`; never logged'),
    CITUS_SEARCH_INDEX_PREFIX: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, _ and -, not starting with _ or -')
      .default('citus')
      .describe('with `elasticsearch`: prefix of the index names (`<prefix>-telemetry`, `<prefix>-devices`)'),
    CITUS_TELEMETRY_STORE: telemetryStore,
    // Read here only so the `registry-stream` device source is refused without it.
    CITUS_REGISTRY_STORE: registryStore,
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
