import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { DynamoCheckpointStore, ensureCheckpointTable } from '@citus/dynamodb';
import { checkpointStoreContract } from './support/checkpoint-store.contract.js';

// The scale-out adapter against DynamoDB Local (Java); each test gets its own table by prefix.
const dynamo = useDynamoDbLocal();

checkpointStoreContract('DynamoCheckpointStore', async () => {
  const prefix = dynamo.nextPrefix('checkpoints');
  const clients = dynamo.clients();
  await ensureCheckpointTable(clients.client, prefix);
  // Creating it again (a second replica starting) leaves the table and its items alone.
  await ensureCheckpointTable(clients.client, prefix);
  return {
    store: new DynamoCheckpointStore(clients.documents, prefix),
    reopen: () => new DynamoCheckpointStore(clients.documents, prefix),
    destroy: async () => undefined,
  };
});
