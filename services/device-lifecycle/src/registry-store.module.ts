import { join } from 'node:path';
import { createDynamoClients, ensureTables, REGISTRY_TABLES, requireTables } from '@citus/dynamodb';
import type { Logger } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { DynamoDeviceRepository } from './adapters/dynamodb/device.repository.js';
import { DEVICE_MIGRATIONS, SqliteDeviceRepository } from './adapters/sqlite/device.repository.js';
import type { DeviceLifecycleConfig } from './config.js';
import type { DeviceRepository } from './domain/device.model.js';

export interface RegistryStore {
  repository: DeviceRepository;
  /** Before the repository's first use. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface StoreOptions {
  config: DeviceLifecycleConfig;
  dataDir: string;
  logger: Logger;
}

/** The device registry `CITUS_REGISTRY_STORE` selects. */
export function createRegistryStore(options: StoreOptions): RegistryStore {
  return options.config.CITUS_REGISTRY_STORE === 'dynamodb' ? dynamoStore(options) : embeddedStore(options);
}

/** `devices.db`, opened (and migrated) at once, as before the store was selectable. */
function embeddedStore({ dataDir }: StoreOptions): RegistryStore {
  const db = openDatabase(join(dataDir, 'devices.db'), { module: 'device-lifecycle', migrations: DEVICE_MIGRATIONS });
  return {
    repository: new SqliteDeviceRepository(db),
    start: async () => undefined,
    stop: async () => void db.close(),
  };
}

/**
 * DynamoDB. Against DynamoDB Local (`CITUS_DYNAMODB_ENDPOINT`) a missing table is created; against
 * AWS it must exist, since the service's role should not be allowed to create tables.
 */
function dynamoStore({ config, logger }: StoreOptions): RegistryStore {
  const region = config.AWS_REGION as string;
  const prefix = config.CITUS_DYNAMODB_TABLE_PREFIX;
  const clients = createDynamoClients({ region, endpoint: config.CITUS_DYNAMODB_ENDPOINT, tablePrefix: prefix });
  return {
    repository: new DynamoDeviceRepository(clients.documents, prefix),
    async start() {
      if (config.CITUS_DYNAMODB_ENDPOINT) await ensureTables(clients.client, prefix, REGISTRY_TABLES);
      else {
        await requireTables(clients.client, prefix, REGISTRY_TABLES,
          'deploy the registry table as REGISTRY_TABLES (@citus/dynamodb) declares it (or set CITUS_DYNAMODB_ENDPOINT for DynamoDB Local)');
      }
      logger.info({ region, endpoint: config.CITUS_DYNAMODB_ENDPOINT, prefix }, 'device registry stored in DynamoDB');
    },
    stop: async () => clients.destroy(),
  };
}
