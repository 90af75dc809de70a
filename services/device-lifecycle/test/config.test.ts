import { ConfigError, parseConfig } from '@citus/kit';
import { DeviceLifecycleConfig } from '../src/config.js';

const problems = (env: NodeJS.ProcessEnv): string[] => {
  try {
    parseConfig(DeviceLifecycleConfig, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('DeviceLifecycleConfig registry store', () => {
  it('defaults to the embedded SQLite store with no AWS settings', () => {
    expect(parseConfig(DeviceLifecycleConfig, {})).toMatchObject({ CITUS_REGISTRY_STORE: 'sqlite', CITUS_DYNAMODB_TABLE_PREFIX: '' });
  });

  it('takes DynamoDB with a region, an optional endpoint and a table prefix', () => {
    const env = {
      CITUS_REGISTRY_STORE: 'dynamodb',
      AWS_REGION: 'eu-west-1',
      CITUS_DYNAMODB_ENDPOINT: 'http://localhost:8000',
      CITUS_DYNAMODB_TABLE_PREFIX: 'citus-prod.',
    };
    expect(parseConfig(DeviceLifecycleConfig, env)).toMatchObject(env);
  });

  it('needs a region for DynamoDB', () => {
    expect(problems({ CITUS_REGISTRY_STORE: 'dynamodb' })).toEqual(['AWS_REGION: required when CITUS_REGISTRY_STORE is dynamodb']);
    expect(problems({ CITUS_REGISTRY_STORE: 'dynamodb', AWS_REGION: 'Europe' })).toEqual(['AWS_REGION: an AWS region such as eu-west-1']);
  });

  it('ignores AWS_REGION, which other tools set too, unless DynamoDB is chosen', () => {
    expect(problems({ AWS_REGION: 'whatever' })).toEqual([]);
  });

  it('refuses an unknown store, a bad endpoint and a bad prefix', () => {
    expect(problems({ CITUS_REGISTRY_STORE: 'mongodb' })).toEqual([expect.stringMatching(/^CITUS_REGISTRY_STORE: /)]);
    const found = problems({ CITUS_REGISTRY_STORE: 'dynamodb', AWS_REGION: 'eu-west-1', CITUS_DYNAMODB_ENDPOINT: 'ftp://x', CITUS_DYNAMODB_TABLE_PREFIX: 'a b' });
    expect(found.map((problem) => problem.split(':')[0])).toEqual(['CITUS_DYNAMODB_ENDPOINT', 'CITUS_DYNAMODB_TABLE_PREFIX']);
  });
});

describe('DeviceLifecycleConfig release store', () => {
  it('keeps artifacts in the data dir by default, up to the gateway limit', () => {
    expect(parseConfig(DeviceLifecycleConfig, {})).toMatchObject({ CITUS_RELEASE_STORE: 'filesystem', CITUS_RELEASE_MAX_MB: 256, CITUS_RELEASE_PREFIX: '' });
  });

  it('takes S3 with a bucket, a region and a prefix of path levels', () => {
    const env = { CITUS_RELEASE_STORE: 's3', CITUS_RELEASE_BUCKET: 'acme-citus-releases', AWS_REGION: 'eu-west-1', CITUS_RELEASE_PREFIX: 'prod/' };
    expect(parseConfig(DeviceLifecycleConfig, env)).toMatchObject(env);
  });

  it('names what S3 still needs, and refuses a limit above the gateway and a bad prefix', () => {
    expect(problems({ CITUS_RELEASE_STORE: 's3' }).sort()).toEqual(['AWS_REGION: required when CITUS_RELEASE_STORE is s3', 'CITUS_RELEASE_BUCKET: CITUS_RELEASE_STORE=s3 needs the bucket of release artifacts']);
    expect(problems({ CITUS_RELEASE_MAX_MB: '257' })).toEqual([expect.stringMatching(/^CITUS_RELEASE_MAX_MB: /)]);
    expect(problems({ CITUS_RELEASE_PREFIX: 'no-slash' })).toEqual([expect.stringMatching(/^CITUS_RELEASE_PREFIX: /)]);
  });
});
