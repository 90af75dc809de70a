import { ConfigError, parseConfig } from '@citus/kit';
import { IndexerConfig, isEmbedded } from '../src/config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    parseConfig(IndexerConfig, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
};

const DYNAMODB = { CITUS_TELEMETRY_STORE: 'dynamodb', AWS_REGION: 'eu-west-1' };
const ELASTICSEARCH = { CITUS_SEARCH: 'elasticsearch', ELASTICSEARCH_URL: 'https://es.internal:9200' };

describe('IndexerConfig', () => {
  it('defaults to the embedded combination: the SQLite change log into the FTS5 index', () => {
    const config = parseConfig(IndexerConfig, {});
    expect(config).toEqual({
      CITUS_SEARCH: 'sqlite',
      CITUS_SEARCH_INDEX_PREFIX: 'citus',
      CITUS_TELEMETRY_STORE: 'sqlite',
      CITUS_REGISTRY_STORE: 'sqlite',
      CITUS_DYNAMODB_TABLE_PREFIX: '',
    });
    expect(isEmbedded(config)).toBe(true);
  });

  it.each([
    { name: 'the DynamoDB stream into FTS5', env: DYNAMODB },
    { name: 'the SQLite change log into Elasticsearch', env: ELASTICSEARCH },
    { name: 'the DynamoDB stream into Elasticsearch', env: { ...DYNAMODB, ...ELASTICSEARCH, ELASTICSEARCH_API_KEY: 'a2V5OnNlY3JldA==' } },
  ])('accepts the scale-out combination $name, which is not embedded', ({ env }) => {
    expect(problemsOf(env)).toEqual([]);
    expect(isEmbedded(parseConfig(IndexerConfig, env))).toBe(false);
  });

  it('takes the DynamoDB fields as the hub does', () => {
    expect(parseConfig(IndexerConfig, { ...DYNAMODB, CITUS_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000', CITUS_DYNAMODB_TABLE_PREFIX: 'prod.' })).toMatchObject({
      CITUS_TELEMETRY_STORE: 'dynamodb',
      AWS_REGION: 'eu-west-1',
      CITUS_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      CITUS_DYNAMODB_TABLE_PREFIX: 'prod.',
    });
  });

  it('needs a well-formed AWS region for DynamoDB only', () => {
    expect(problemsOf({ CITUS_TELEMETRY_STORE: 'dynamodb' })).toEqual(['AWS_REGION: required when CITUS_TELEMETRY_STORE is dynamodb']);
    expect(problemsOf({ CITUS_TELEMETRY_STORE: 'dynamodb', AWS_REGION: 'Ireland' })).toEqual(['AWS_REGION: an AWS region such as eu-west-1']);
    // Other tools set it too: it must not stop the embedded mode.
    expect(problemsOf({ AWS_REGION: 'Ireland' })).toEqual([]);
  });

  it('needs ELASTICSEARCH_URL for elasticsearch', () => {
    expect(problemsOf({ CITUS_SEARCH: 'elasticsearch' })).toEqual(['ELASTICSEARCH_URL: required when CITUS_SEARCH is elasticsearch']);
  });

  it('refuses credentials in ELASTICSEARCH_URL without repeating them, and points to the API key', () => {
    for (const url of ['https://elastic:hunter2@es.internal:9200', 'https://elastic@es.internal:9200', 'https://:hunter2@es.internal:9200']) {
      const problems = problemsOf({ CITUS_SEARCH: 'elasticsearch', ELASTICSEARCH_URL: url });
      expect(problems).toEqual(['ELASTICSEARCH_URL: must not carry a user name or password: set ELASTICSEARCH_API_KEY instead']);
      expect(problems.join('\n')).not.toContain('hunter2');
    }
    // Also when Elasticsearch is not chosen: a secret does not belong in the variable at all.
    expect(problemsOf({ ELASTICSEARCH_URL: 'http://elastic:hunter2@es:9200' })).toEqual([expect.stringContaining('ELASTICSEARCH_API_KEY instead')]);
  });

  it('reports every problem of a scale-out configuration at once', () => {
    expect(problemsOf({ CITUS_SEARCH: 'elasticsearch', CITUS_TELEMETRY_STORE: 'dynamodb' })).toEqual([
      'ELASTICSEARCH_URL: required when CITUS_SEARCH is elasticsearch',
      'AWS_REGION: required when CITUS_TELEMETRY_STORE is dynamodb',
    ]);
  });

  it('checks the values themselves', () => {
    expect(problemsOf({ CITUS_SEARCH: 'solr' })).toEqual([expect.stringContaining('CITUS_SEARCH')]);
    expect(problemsOf({ ELASTICSEARCH_URL: 'ftp://es' })).toEqual([expect.stringContaining('ELASTICSEARCH_URL')]);
    expect(problemsOf({ ELASTICSEARCH_URL: 'not a url' })).toEqual([expect.stringContaining('ELASTICSEARCH_URL')]);
    expect(problemsOf({ CITUS_SEARCH_INDEX_PREFIX: 'Bad*Prefix' })).toEqual([expect.stringContaining('CITUS_SEARCH_INDEX_PREFIX')]);
    expect(problemsOf({ CITUS_TELEMETRY_STORE: 'postgres' })).toEqual([expect.stringContaining('CITUS_TELEMETRY_STORE')]);
    expect(problemsOf({ CITUS_REGISTRY_STORE: 'mongodb' })).toEqual([expect.stringContaining('CITUS_REGISTRY_STORE')]);
    expect(problemsOf({ CITUS_DYNAMODB_ENDPOINT: 'ftp://127.0.0.1' })).toEqual([expect.stringContaining('CITUS_DYNAMODB_ENDPOINT')]);
    expect(problemsOf({ CITUS_DYNAMODB_TABLE_PREFIX: 'bad prefix/' })).toEqual([expect.stringContaining('CITUS_DYNAMODB_TABLE_PREFIX')]);
  });
});
