export type { _Record as StreamRecord, AttributeValue as StreamAttributeValue } from '@aws-sdk/client-dynamodb-streams';
export type { StreamBatch, StreamCheckpoints, StreamSubscription } from './stream-feed.port.js';
export { StreamsChangeFeed, type StreamsChangeFeedOptions } from './streams.change-feed.js';
export type { StartOfShard, StreamRecordMapper } from './shard.reader.js';
export { readableShards, type ShardInfo } from './shard-order.rules.js';
export { CHECKPOINT_TABLE, CHECKPOINT_TABLE_NAME, DynamoCheckpointStore, ensureCheckpointTable } from './checkpoint.store.js';
export { VolatileCheckpoints } from './volatile.checkpoints.js';
export { openStreamFeed, streamViewOf, type OpenedStreamsFeed, type StreamSource, type StreamsFeedConfig } from './stream-feed.factory.js';
export { PollSignal, type Backoff } from './poll.signal.js';
