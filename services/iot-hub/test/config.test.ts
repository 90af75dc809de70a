import { ConfigError, parseConfig } from '@citus/kit';
import { IotHubConfig } from '../src/config.js';

const problems = (env: NodeJS.ProcessEnv): string[] => {
  try {
    parseConfig(IotHubConfig, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('IotHubConfig telemetry store', () => {
  it('defaults to the embedded SQLite store with no AWS settings', () => {
    expect(parseConfig(IotHubConfig, {})).toMatchObject({ CITUS_TELEMETRY_STORE: 'sqlite', CITUS_DYNAMODB_TABLE_PREFIX: '' });
  });

  it('takes DynamoDB with a region, an optional endpoint and a table prefix', () => {
    const env = {
      CITUS_TELEMETRY_STORE: 'dynamodb',
      AWS_REGION: 'eu-west-1',
      CITUS_DYNAMODB_ENDPOINT: 'http://localhost:8000',
      CITUS_DYNAMODB_TABLE_PREFIX: 'citus-prod.',
    };
    expect(parseConfig(IotHubConfig, env)).toMatchObject(env);
  });

  it('needs a region for DynamoDB', () => {
    expect(problems({ CITUS_TELEMETRY_STORE: 'dynamodb' })).toEqual(['AWS_REGION: required when CITUS_TELEMETRY_STORE is dynamodb']);
    expect(problems({ CITUS_TELEMETRY_STORE: 'dynamodb', AWS_REGION: 'Europe' })).toEqual(['AWS_REGION: an AWS region such as eu-west-1']);
  });

  it('ignores AWS_REGION, which other tools set too, unless DynamoDB is chosen', () => {
    expect(problems({ AWS_REGION: 'whatever' })).toEqual([]);
  });

  it('lists every bad value at once', () => {
    const found = problems({
      CITUS_TELEMETRY_STORE: 'mongodb',
      CITUS_DYNAMODB_ENDPOINT: 'ftp://x',
      CITUS_DYNAMODB_TABLE_PREFIX: 'a b',
    });
    expect(found.map((problem) => problem.split(':')[0])).toEqual([
      'CITUS_TELEMETRY_STORE',
      'CITUS_DYNAMODB_ENDPOINT',
      'CITUS_DYNAMODB_TABLE_PREFIX',
    ]);
  });
});
