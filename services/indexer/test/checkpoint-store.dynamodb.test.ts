import { createDynamoClients, startDynamoDbLocal, type DynamoClients, type DynamoDbLocal } from '@citus/dynamodb';
import { DynamoCheckpointStore, ensureCheckpointTable } from '../src/adapters/dynamodb/checkpoint.store.js';
import { checkpointStoreContract } from './support/checkpoint-store.contract.js';

// The scale-out adapter against DynamoDB Local (Java); each test gets its own table by prefix.
let local: DynamoDbLocal;
let clients: DynamoClients;
let tablesCreated = 0;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  clients = createDynamoClients({ region: 'eu-west-1', endpoint: local.endpoint });
}, 60_000);

afterAll(async () => {
  clients?.destroy();
  await local?.stop();
});

checkpointStoreContract('DynamoCheckpointStore', async () => {
  const prefix = `checkpoints-${++tablesCreated}-`;
  await ensureCheckpointTable(clients.client, prefix);
  // Creating it again (a second replica starting) leaves the table and its items alone.
  await ensureCheckpointTable(clients.client, prefix);
  return {
    store: new DynamoCheckpointStore(clients.documents, prefix),
    reopen: () => new DynamoCheckpointStore(clients.documents, prefix),
    destroy: async () => undefined,
  };
});
