import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from '@citus/kit';
import type { ChangeBatch, ChangeFeed, ChangeRecord, CheckpointStore, FeedSubscription } from '../../domain/change-feed.port.js';
import { readableShards, type ShardInfo } from '../../domain/shard-order.rules.js';
import { PollSignal, type Backoff } from './poll.signal.js';
import { readShard, type ShardReading, type StreamRecordMapper } from './shard.reader.js';

export interface StreamsChangeFeedOptions<R = ChangeRecord> {
  /** Finds the table's stream (`DescribeTable` → `LatestStreamArn`). */
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  /** The table's full name, prefix included. */
  tableName: string;
  /** The consumer's records of the table's stream records (`toChangeRecord` for the telemetry table). */
  toRecord: StreamRecordMapper<R>;
  checkpoints: CheckpointStore;
  logger?: Logger;
  /** Wait after an empty page of an open shard. AWS allows 5 GetRecords a second per shard. */
  pollIntervalMs?: number;
  /** How often the shard list is read again to find shards opened by splits and rotation. */
  discoveryIntervalMs?: number;
  /** Records per GetRecords page (at most 1,000). */
  batchLimit?: number;
  backoff?: Backoff;
}

const DEFAULTS = { pollIntervalMs: 250, discoveryIntervalMs: 10_000, batchLimit: 1_000, backoff: { initialMs: 100, maxMs: 10_000 } };

/**
 * A DynamoDB Stream as a change feed: the telemetry table's (NEW_IMAGE) for telemetry, the
 * registry table's (NEW_AND_OLD_IMAGES) for devices, told apart by `toRecord`. Shards are read
 * side by side, each by its own reader, so `handle` may run for several partitions at once but
 * never twice at once for one partition. A shard born of a split is read only once its parent is
 * finished (see `readableShards`). The shard list is read again every `discoveryIntervalMs`, and at
 * once whenever a shard is finished, so its children start without waiting.
 */
export class StreamsChangeFeed<R = ChangeRecord> implements ChangeFeed<R> {
  private readonly options: StreamsChangeFeedOptions<R> & typeof DEFAULTS;

  constructor(options: StreamsChangeFeedOptions<R>) {
    this.options = { ...DEFAULTS, ...options };
  }

  start(consumer: string, handle: (batch: ChangeBatch<R>) => Promise<void>): FeedSubscription {
    return new StreamsSubscription(this.options, consumer, handle);
  }
}

class StreamsSubscription<R> implements FeedSubscription {
  private readonly signal = new PollSignal();
  private readonly readers = new Map<string, Promise<void>>();
  private readonly finished = new Set<string>();
  /** Per shard with records not yet caught up: the newest record's approximate creation time. */
  private readonly newest = new Map<string, number>();
  private nudge: () => void = () => undefined;
  private readonly running: Promise<void>;

  constructor(
    private readonly options: StreamsChangeFeedOptions<R> & typeof DEFAULTS,
    private readonly consumer: string,
    private readonly handle: (batch: ChangeBatch<R>) => Promise<void>,
  ) {
    this.running = this.discover();
  }

  async stop(): Promise<void> {
    this.signal.stop();
    await this.running;
  }

  /** DynamoDB Streams stamps records to the second, so this may read up to a second high. */
  lagMs(): number {
    const now = Date.now();
    let lag = 0;
    for (const time of this.newest.values()) lag = Math.max(lag, now - time);
    return lag;
  }

  private async discover(): Promise<void> {
    let streamArn: string | undefined;
    let failures = 0;
    while (!this.signal.stopped) {
      const woken = new Promise<void>((resolve) => (this.nudge = resolve));
      try {
        streamArn ??= await this.streamArn();
        const shards = await this.listShards(streamArn);
        await this.learnFinished(shards);
        for (const shardId of readableShards(shards, this.finished)) {
          if (!this.readers.has(shardId)) this.startReader(streamArn, shardId);
        }
        failures = 0;
      } catch (error) {
        if (this.signal.stopped) break;
        // A stream disabled and enabled again has a new ARN: look it up afresh.
        streamArn = undefined;
        this.options.logger?.warn({ err: error, failures: ++failures }, 'reading the stream shards failed; retrying after a back-off');
        await this.signal.backOff(this.options.backoff, failures);
        continue;
      }
      await this.signal.sleep(this.options.discoveryIntervalMs, woken);
    }
    await Promise.all(this.readers.values());
  }

  private startReader(streamArn: string, shardId: string): void {
    const reading: ShardReading<R> = {
      ...this.options,
      streamArn,
      consumer: this.consumer,
      handle: this.handle,
      signal: this.signal,
      onSeen: (shard, newest) => (newest === undefined ? this.newest.delete(shard) : this.newest.set(shard, newest)),
    };
    const reader = readShard(reading, shardId)
      .catch((error: unknown) => {
        this.options.logger?.error({ err: error, shardId }, 'shard reader failed');
        return 'gone' as const;
      })
      .then((end) => {
        this.readers.delete(shardId);
        this.newest.delete(shardId);
        // A finished shard may free its children: list the shards now rather than at the next round.
        if (end === 'finished') {
          this.finished.add(shardId);
          this.nudge();
        }
      });
    this.readers.set(shardId, reader);
  }

  private async streamArn(): Promise<string> {
    const { Table } = await this.options.dynamodb.send(new DescribeTableCommand({ TableName: this.options.tableName }), {
      abortSignal: this.signal.abortSignal,
    });
    if (!Table?.LatestStreamArn) throw new Error(`table ${this.options.tableName} has no stream: enable one`);
    return Table.LatestStreamArn;
  }

  /** Every shard of the stream, over all DescribeStream pages. */
  private async listShards(streamArn: string): Promise<ShardInfo[]> {
    const shards: ShardInfo[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.options.streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
        { abortSignal: this.signal.abortSignal },
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        if (shard.ShardId) shards.push({ shardId: shard.ShardId, ...(shard.ParentShardId ? { parentShardId: shard.ParentShardId } : {}) });
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  /** Looks up, for the listed shards not known finished nor being read, whether a past run finished them. */
  private async learnFinished(shards: ShardInfo[]): Promise<void> {
    for (const { shardId } of shards) {
      if (this.finished.has(shardId) || this.readers.has(shardId)) continue;
      if (await this.options.checkpoints.isFinished(this.consumer, shardId)) this.finished.add(shardId);
    }
  }
}
