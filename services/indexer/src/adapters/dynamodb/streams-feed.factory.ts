import type { TableDescription } from '@aws-sdk/client-dynamodb';
import type { Logger } from '@citus/kit';
import { openStreamFeed, streamViewOf, TELEMETRY_TABLE_NAMES, type StreamsFeedConfig } from '@citus/dynamodb';
import type { OpenedFeed } from '../../domain/change-feed.port.js';
import { toChangeRecord } from './stream-record.mapper.js';

export type { StreamsFeedConfig } from '@citus/dynamodb';

/**
 * The scale-out change feed: the hub's telemetry table's stream, checkpoints in DynamoDB (created
 * when missing). Refuses to open, with the reason, when the table or its stream is missing or the
 * stream carries no new image: the feed itself would only retry such a table forever.
 */
export function openStreamsChangeFeed(config: StreamsFeedConfig, logger: Logger): Promise<OpenedFeed> {
  return openStreamFeed(config, logger.child({ component: 'change-feed' }), {
    name: TELEMETRY_TABLE_NAMES.telemetry,
    toRecord: toChangeRecord,
    missing: (table) => `the telemetry table ${table} does not exist: the hub creates it when it starts with CITUS_TELEMETRY_STORE=dynamodb`,
    check: requireNewImageStream,
  });
}

function requireNewImageStream(table: string, description: TableDescription | undefined): void {
  // The indexer reads each record's new image; the other view types do not carry it.
  const { ok, found } = streamViewOf(description, ['NEW_IMAGE', 'NEW_AND_OLD_IMAGES']);
  if (ok) return;
  if (found === 'no stream') throw new Error(`the telemetry table ${table} has no stream: enable DynamoDB Streams on it (view type NEW_IMAGE)`);
  const view = description?.StreamSpecification?.StreamViewType;
  throw new Error(`the stream of the telemetry table ${table} is ${String(view)}: the indexer needs NEW_IMAGE`);
}
