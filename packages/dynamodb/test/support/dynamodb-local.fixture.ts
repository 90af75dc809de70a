import { createDynamoClients, startDynamoDbLocal, type DynamoClients, type DynamoDbLocal } from '../../src/index.js';

export interface DynamoDbLocalFixture {
  /** Clients of the suite's DynamoDB Local, once `beforeAll` has run. */
  clients(): DynamoClients;
  endpoint(): string;
  /** A table-name prefix no other test of the suite uses: each test gets its own tables. */
  nextPrefix(name: string): string;
}

/**
 * One DynamoDB Local (Java, in memory) for a test file: started before its tests, stopped after,
 * clients made for it. Call at the top level of a `*.dynamodb.test.ts` file.
 */
export function useDynamoDbLocal(): DynamoDbLocalFixture {
  let local: DynamoDbLocal | undefined;
  let clients: DynamoClients | undefined;
  let prefixes = 0;
  beforeAll(async () => {
    local = await startDynamoDbLocal();
    clients = createDynamoClients({ region: 'eu-west-1', endpoint: local.endpoint });
  }, 60_000);
  afterAll(async () => {
    clients?.destroy();
    await local?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('DynamoDB Local is not started: use the fixture inside tests');
    return value;
  };
  return {
    clients: () => started(clients),
    endpoint: () => started(local).endpoint,
    nextPrefix: (name) => `${name}-${++prefixes}-`,
  };
}
