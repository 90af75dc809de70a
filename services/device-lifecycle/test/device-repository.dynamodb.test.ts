import { ensureTables, REGISTRY_TABLES } from '@citus/dynamodb';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { DynamoDeviceRepository } from '../src/adapters/dynamodb/device.repository.js';
import { deviceRepositoryContract } from './support/device-repository.contract.js';

// The scale-out adapter against DynamoDB Local (Java); each test gets its own table by prefix.
const dynamo = useDynamoDbLocal();

deviceRepositoryContract('DynamoDeviceRepository', async () => {
  const prefix = dynamo.nextPrefix('registry');
  await ensureTables(dynamo.clients().client, prefix, REGISTRY_TABLES);
  return { repository: new DynamoDeviceRepository(dynamo.clients().documents, prefix), destroy: async () => undefined };
});
