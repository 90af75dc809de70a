import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { createDynamoClients, openStreamFeed, REGISTRY_TABLE_NAMES, streamViewOf, type OpenedStreamsFeed } from '@citus/dynamodb';
import type { EventBus, Logger } from '@citus/kit';
import { DynamoDeviceRepository } from './adapters/dynamodb/device.repository.js';
import { toRegistryChange } from './adapters/dynamodb/registry-change.mapper.js';
import { RegistryDirectory } from './app/registry.directory.js';
import { RegistryFollower } from './app/registry.follower.js';
import type { DeviceLifecycleConfig } from './config.js';
import type { ThingEntry } from './domain/device.model.js';
import type { RegistryChange, RegistryChangeFeed } from './domain/registry-change.model.js';

/** The stream consumer's name, in logs; it keeps no checkpoints (it starts at LATEST each time). */
const CONSUMER = 'registry-directory';

export interface StreamedDirectoryOptions {
  /** Only the registry fields are read: `CITUS_REGISTRY_STORE` (must be `dynamodb`), AWS_REGION, the endpoint and prefix. */
  config: DeviceLifecycleConfig;
  events: EventBus;
  logger: Logger;
  /**
   * Announce `certificate.revoked` and `thing.deleted` for what is news to the directory (the
   * default): other instances' writes, never the ones this process made and announced itself.
   */
  emitEvents?: boolean;
  /** The directory to keep; a new one by default. The device-lifecycle service passes the one its own writes update. */
  directory?: RegistryDirectory;
  /** For tests: see `RegistryFollowerOptions.duringLoad`. */
  duringLoad?: () => Promise<void>;
}

/** What the hub asks synchronously, answered from a directory that follows the DynamoDB registry. */
export interface StreamedDirectory {
  /** The thing an active, unexpired certificate is attached to. */
  activeCertificate(certificateId: string, nowMs?: number): ThingEntry | undefined;
  workspaceOfThing(thingName: string): string | undefined;
  /** Every thing of the workspace, for the hub's dynamic thing groups. */
  thingsOf(workspaceId: string): string[];
  /** Opens the registry table's stream, loads the directory, then follows; answers are complete once it resolves. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** How far the directory trails the registry, in milliseconds; 0 when caught up. */
  lagMs(): number;
}

/**
 * The registry directory of a process that may not run the device-lifecycle service (the hub on
 * its own), built from the registry config alone: the DynamoDB registry table's stream from
 * LATEST, no checkpoints, and a Scan of the table at each start. Refuses the SQLite registry,
 * which has no stream and no second writer.
 */
export function openStreamedDirectory(options: StreamedDirectoryOptions): StreamedDirectory {
  const { config } = options;
  const region = config.AWS_REGION;
  if (config.CITUS_REGISTRY_STORE !== 'dynamodb' || region === undefined) {
    throw new Error('a streamed registry directory needs CITUS_REGISTRY_STORE=dynamodb and AWS_REGION: the SQLite registry has no stream');
  }
  const logger = options.logger.child({ module: 'registry-directory' });
  const directory = options.directory ?? new RegistryDirectory();
  const follower = new RegistryFollower(directory, options.events, {
    emitEvents: options.emitEvents ?? true,
    logger,
    ...(options.duringLoad ? { duringLoad: options.duringLoad } : {}),
  });
  const endpoint = config.CITUS_DYNAMODB_ENDPOINT;
  const connection = { region, tablePrefix: config.CITUS_DYNAMODB_TABLE_PREFIX, ...(endpoint === undefined ? {} : { endpoint }) };
  let opened: { feed: OpenedStreamsFeed<RegistryChange>; destroyClients(): void } | undefined;
  const close = () => {
    opened?.feed.close();
    opened?.destroyClients();
    opened = undefined;
  };

  return {
    activeCertificate: (certificateId, nowMs = Date.now()) => directory.activeCertificate(certificateId, nowMs),
    workspaceOfThing: (thingName) => directory.workspaceOfThing(thingName),
    thingsOf: (workspaceId) => directory.thingsOf(workspaceId),
    lagMs: () => follower.lagMs(),
    async start() {
      const feed = await openStreamFeed({ ...connection, startAt: 'latest' }, logger, {
        name: REGISTRY_TABLE_NAMES.registry,
        toRecord: toRegistryChange,
        missing: (table) => `the registry table ${table} does not exist: the device lifecycle creates it on DynamoDB Local; on AWS deploy infra/aws/registry.yaml`,
        check: requireBothImages,
      });
      const clients = createDynamoClients(connection);
      opened = { feed, destroyClients: () => clients.destroy() };
      try {
        await follower.start(changeFeedOf(feed), new DynamoDeviceRepository(clients.documents, connection.tablePrefix));
      } catch (error) {
        close();
        throw error;
      }
    },
    async stop() {
      await follower.stop();
      close();
    },
  };
}

function changeFeedOf(opened: OpenedStreamsFeed<RegistryChange>): RegistryChangeFeed {
  return { start: (handle) => opened.feed.start(CONSUMER, (batch) => handle(batch.records)) };
}

function requireBothImages(table: string, description: TableDescription | undefined): void {
  // A removed device is named only by its old image, and a revocation is told by the old status.
  const { ok, found } = streamViewOf(description, ['NEW_AND_OLD_IMAGES']);
  if (ok) return;
  throw new Error(
    `the registry table ${table} has ${found}: the registry directory needs NEW_AND_OLD_IMAGES ` +
      '(the device lifecycle enables it at start on DynamoDB Local; on AWS deploy infra/aws/registry.yaml)',
  );
}
