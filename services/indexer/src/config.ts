import { z } from 'zod';

export const IndexerConfig = z
  .object({
    /**
     * Where the search index lives: the embedded SQLite FTS5 file (`search.db`) or Elasticsearch.
     * Only `sqlite` is wired so far; the Elasticsearch adapter exists and is tested (mocked), and
     * its wiring comes with the scale-out mode. Choosing it now is refused at boot rather than
     * silently served from SQLite.
     */
    CITUS_SEARCH: z.enum(['sqlite', 'elasticsearch']).default('sqlite'),
    ELASTICSEARCH_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Prepended to the index names (`<prefix>-telemetry`, `<prefix>-devices`); Elasticsearch index name characters. */
    CITUS_SEARCH_INDEX_PREFIX: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, _ and -, not starting with _ or -')
      .default('citus'),
  })
  .superRefine((config, context) => {
    if (config.CITUS_SEARCH !== 'elasticsearch') return;
    if (!config.ELASTICSEARCH_URL) {
      context.addIssue({ code: 'custom', path: ['ELASTICSEARCH_URL'], message: 'required when CITUS_SEARCH is elasticsearch' });
    }
    context.addIssue({
      code: 'custom',
      path: ['CITUS_SEARCH'],
      message: 'elasticsearch is not wired yet: only sqlite (the embedded FTS5 index) can be served for now',
    });
  });
export type IndexerConfig = z.infer<typeof IndexerConfig>;
