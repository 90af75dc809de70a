import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { openStreamFeed, REGISTRY_TABLE_NAMES, streamViewOf, type StreamsFeedConfig } from '@citus/dynamodb';
import type { Logger } from '@citus/kit';
import type { OpenedFeed } from '../../domain/change-feed.port.js';
import type { DeviceChange } from '../../domain/device-change.model.js';
import { toDeviceChange } from './registry-record.mapper.js';

/**
 * The device registry table's stream as a feed of device changes, for an indexer that runs apart
 * from the registry: the telemetry feed's reading and checkpoints, on another table. Refuses to
 * open, saying what to do, when the table is missing or its stream lacks the old image (a removed
 * device is known only by it).
 */
export function openRegistryFeed(config: Omit<StreamsFeedConfig, 'wrapCheckpoints' | 'startAt'>, logger: Logger): Promise<OpenedFeed<DeviceChange>> {
  return openStreamFeed(config, logger.child({ component: 'registry-feed' }), {
    name: REGISTRY_TABLE_NAMES.registry,
    toRecord: toDeviceChange,
    missing: (table) =>
      `the registry table ${table} does not exist: the device lifecycle creates it when it starts with CITUS_REGISTRY_STORE=dynamodb (on AWS: deploy infra/aws/registry.yaml)`,
    check: requireBothImages,
  });
}

function requireBothImages(table: string, description: TableDescription | undefined): void {
  const { ok, found } = streamViewOf(description, ['NEW_AND_OLD_IMAGES']);
  if (ok) return;
  throw new Error(
    `the registry table ${table} has ${found}: the indexer's registry-stream device source needs NEW_AND_OLD_IMAGES ` +
      '(the device lifecycle enables it at start on DynamoDB Local; on AWS deploy infra/aws/registry.yaml)',
  );
}
