export type { ChangeBatch, ChangeFeed, ChangeRecord, CheckpointStore, FeedSubscription } from './domain/change-feed.port.js';
export type { DeviceDocument, SearchHit, SearchIndex, SearchPage, SearchQuery, TelemetryDocument } from './domain/search-index.port.js';
export { StreamsChangeFeed, type StreamsChangeFeedOptions } from './adapters/dynamodb/streams.change-feed.js';
export { CHECKPOINT_TABLE, DynamoCheckpointStore, ensureCheckpointTable } from './adapters/dynamodb/checkpoint.store.js';
export { CHECKPOINT_MIGRATIONS, CHECKPOINT_MODULE, SqliteCheckpointStore } from './adapters/sqlite/checkpoint.store.js';
export { readableShards, type ShardInfo } from './domain/shard-order.rules.js';
