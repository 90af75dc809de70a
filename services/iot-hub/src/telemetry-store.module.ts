import { join } from 'node:path';
import { createDynamoClients, ensureTables, requireTables, TELEMETRY_TABLES } from '@citus/dynamodb';
import type { Logger } from '@citus/kit';
import type { SqliteDatabase } from '@citus/sqlite';
import { DynamoTelemetryQueries } from './adapters/dynamodb/telemetry-query.repository.js';
import { DynamoTelemetryTable } from './adapters/dynamodb/telemetry.table.js';
import { SqliteTelemetryQueryRepository } from './adapters/sqlite/telemetry-query.repository.js';
import { SqliteTelemetryRepository } from './adapters/sqlite/telemetry.repository.js';
import { ThreadedTelemetryTable } from './adapters/worker/threaded.telemetry-table.js';
import type { IotHubConfig } from './config.js';
import type { TelemetryQueries } from './domain/telemetry-buckets.rules.js';
import type { TelemetryTable } from './domain/telemetry-table.port.js';

const DAY_S = 86_400;

export interface TelemetryStore {
  table: TelemetryTable;
  /** Aggregates and latest values. */
  queries: TelemetryQueries;
  /** Whether the retention sweeper deletes expired telemetry (SQLite), or the store does (DynamoDB TTL). */
  sweeps: boolean;
  start(): Promise<void>;
  /** Called once ingest has drained. */
  stop(): Promise<void>;
}

interface StoreOptions {
  config: IotHubConfig;
  dataDir: string;
  /** `telemetry.db`, open on this thread: reads, retention settings and sweeps. */
  db: SqliteDatabase;
  /** The workspace's retention period in days, or null to keep its telemetry. */
  retentionDays: (workspaceId: string) => number | null;
  logger: Logger;
}

/** The telemetry store `CITUS_TELEMETRY_STORE` selects. */
export function createTelemetryStore(options: StoreOptions): TelemetryStore {
  return options.config.CITUS_TELEMETRY_STORE === 'dynamodb' ? dynamoStore(options) : embeddedStore(options);
}

/** `telemetry.db`: written on its own thread, read here. */
function embeddedStore({ dataDir, db, logger }: StoreOptions): TelemetryStore {
  const table = new ThreadedTelemetryTable(join(dataDir, 'telemetry.db'), new SqliteTelemetryRepository(db), logger);
  return {
    table,
    queries: new SqliteTelemetryQueryRepository(db),
    sweeps: true,
    start: () => table.start(),
    stop: () => table.stop(),
  };
}

/**
 * DynamoDB (`infra/aws/telemetry.yaml` declares the tables for AWS). Against DynamoDB Local
 * (`CITUS_DYNAMODB_ENDPOINT`) missing tables are created; against AWS they must exist, since the
 * hub's role should not be allowed to create tables. Retention is DynamoDB TTL, stamped per item.
 * Aggregates and latest values are read from the same tables (DynamoTelemetryQueries).
 */
function dynamoStore({ config, retentionDays, logger }: StoreOptions): TelemetryStore {
  const region = config.AWS_REGION as string;
  const prefix = config.CITUS_DYNAMODB_TABLE_PREFIX;
  const clients = createDynamoClients({ region, endpoint: config.CITUS_DYNAMODB_ENDPOINT, tablePrefix: prefix });
  const table = new DynamoTelemetryTable(clients.documents, prefix, {
    expiresAt: (workspaceId, epochMs) => {
      const days = retentionDays(workspaceId);
      return days === null ? undefined : Math.floor(epochMs / 1000) + days * DAY_S;
    },
  });
  return {
    table,
    queries: new DynamoTelemetryQueries(clients.documents, prefix),
    sweeps: false,
    async start() {
      if (config.CITUS_DYNAMODB_ENDPOINT) await ensureTables(clients.client, prefix, TELEMETRY_TABLES);
      else await requireTables(clients.client, prefix, TELEMETRY_TABLES, 'deploy infra/aws/telemetry.yaml (or set CITUS_DYNAMODB_ENDPOINT for DynamoDB Local)');
      logger.info({ region, endpoint: config.CITUS_DYNAMODB_ENDPOINT, prefix }, 'telemetry stored in DynamoDB');
    },
    async stop() {
      clients.destroy();
    },
  };
}
