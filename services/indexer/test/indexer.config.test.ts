import { ConfigError, parseConfig } from '@citus/kit';
import { IndexerConfig } from '../src/config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    parseConfig(IndexerConfig, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
};

describe('IndexerConfig', () => {
  it('defaults to the embedded FTS5 index', () => {
    expect(parseConfig(IndexerConfig, {})).toEqual({ CITUS_SEARCH: 'sqlite', CITUS_SEARCH_INDEX_PREFIX: 'citus' });
  });

  it('refuses elasticsearch, which is not wired yet, and says what it would also need', () => {
    const problems = problemsOf({ CITUS_SEARCH: 'elasticsearch' });
    expect(problems).toEqual([expect.stringMatching(/ELASTICSEARCH_URL.*required/), expect.stringMatching(/CITUS_SEARCH.*not wired yet/)]);
    expect(problemsOf({ CITUS_SEARCH: 'elasticsearch', ELASTICSEARCH_URL: 'http://es:9200' })).toEqual([
      expect.stringMatching(/CITUS_SEARCH.*not wired yet/),
    ]);
  });

  it('checks the values themselves', () => {
    expect(problemsOf({ CITUS_SEARCH: 'solr' })).toEqual([expect.stringContaining('CITUS_SEARCH')]);
    expect(problemsOf({ ELASTICSEARCH_URL: 'ftp://es' })).toEqual([expect.stringContaining('ELASTICSEARCH_URL')]);
    expect(problemsOf({ CITUS_SEARCH_INDEX_PREFIX: 'Bad*Prefix' })).toEqual([expect.stringContaining('CITUS_SEARCH_INDEX_PREFIX')]);
  });
});
