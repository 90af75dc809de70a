import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from '@citus/kit';
import { PollSignal, type Backoff } from './poll.signal.js';
import { readShard, type ShardReading, type StartOfShard, type StreamRecordMapper } from './shard.reader.js';
import { readableShards, type ShardInfo } from './shard-order.rules.js';
import type { StreamBatch, StreamCheckpoints, StreamSubscription } from './stream-feed.port.js';
import { VolatileCheckpoints } from './volatile.checkpoints.js';

interface FeedOptions<R> {
  /** Finds the table's stream (`DescribeTable` → `LatestStreamArn`). */
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  /** The table's full name, prefix included. */
  tableName: string;
  /** The consumer's records of the table's stream records (the indexer's `toChangeRecord` for the telemetry table). */
  toRecord: StreamRecordMapper<R>;
  logger?: Logger;
  /** Wait after an empty page of an open shard. AWS allows 5 GetRecords a second per shard. */
  pollIntervalMs?: number;
  /** How often the shard list is read again to find shards opened by splits and rotation. */
  discoveryIntervalMs?: number;
  /** Records per GetRecords page (at most 1,000). */
  batchLimit?: number;
  backoff?: Backoff;
}

/**
 * Where a subscription starts. With `checkpoints`, each shard resumes after the consumer's saved
 * position (its oldest record without one). With `startAt: 'latest'` nothing is saved: every run
 * begins at LATEST on the shards open when it starts (closed ones are skipped) and at the oldest
 * record of shards that open later (a split's children, whose every record is new to it). For a
 * consumer that loads the table's state itself and wants only what changes from now on.
 */
export type StreamsChangeFeedOptions<R> = FeedOptions<R> &
  ({ checkpoints: StreamCheckpoints; startAt?: 'checkpoints' } | { startAt: 'latest'; checkpoints?: undefined });

const DEFAULTS = { pollIntervalMs: 250, discoveryIntervalMs: 10_000, batchLimit: 1_000, backoff: { initialMs: 100, maxMs: 10_000 } };

type Settings<R> = FeedOptions<R> & typeof DEFAULTS & { checkpoints: StreamCheckpoints; latest: boolean };

/** A shard as listed, with whether it is closed (it has an ending sequence number). */
interface ListedShard extends ShardInfo {
  closed: boolean;
}

/**
 * A DynamoDB Stream as a change feed: the telemetry table's (NEW_IMAGE) for telemetry, the
 * registry table's (NEW_AND_OLD_IMAGES) for devices, told apart by `toRecord`. Shards are read
 * side by side, each by its own reader, so `handle` may run for several partitions at once but
 * never twice at once for one partition. A shard born of a split is read only once its parent is
 * finished (see `readableShards`). The shard list is read again every `discoveryIntervalMs`, and at
 * once whenever a shard is finished, so its children start without waiting.
 */
export class StreamsChangeFeed<R> {
  private readonly options: Settings<R>;

  constructor(options: StreamsChangeFeedOptions<R>) {
    const latest = options.startAt === 'latest';
    this.options = { ...DEFAULTS, ...options, latest, checkpoints: options.checkpoints ?? new VolatileCheckpoints() };
  }

  start(consumer: string, handle: (batch: StreamBatch<R>) => Promise<void>): StreamSubscription {
    return new StreamsSubscription(this.options, consumer, handle);
  }
}

class StreamsSubscription<R> implements StreamSubscription {
  private readonly signal = new PollSignal();
  private readonly readers = new Map<string, Promise<void>>();
  private readonly finished = new Set<string>();
  /** Per shard with records not yet caught up: the newest record's approximate creation time. */
  private readonly newest = new Map<string, number>();
  /** Shards whose first iterator starts at LATEST: those read from the first listing of a `latest` feed. */
  private readonly fromLatest = new Set<string>();
  private readonly firstIterators = new FirstIterators();
  private listedOnce = false;
  private nudge: () => void = () => undefined;
  private readonly running: Promise<void>;

  constructor(
    private readonly options: Settings<R>,
    private readonly consumer: string,
    private readonly handle: (batch: StreamBatch<R>) => Promise<void>,
  ) {
    this.running = this.discover();
  }

  async stop(): Promise<void> {
    this.signal.stop();
    this.firstIterators.release();
    await this.running;
  }

  ready(): Promise<void> {
    return this.firstIterators.done;
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
        this.startReaders(streamArn, shards);
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

  /**
   * Starts a reader on each readable shard not read yet. On the first listing of a `latest` feed,
   * closed shards count as finished (what they hold came before the start) and the readable ones
   * start at LATEST; `ready` waits for exactly those first iterators.
   */
  private startReaders(streamArn: string, shards: ListedShard[]): void {
    const first = !this.listedOnce;
    this.listedOnce = true;
    if (first && this.options.latest) for (const shard of shards) if (shard.closed) this.finished.add(shard.shardId);
    const starting = readableShards(shards, this.finished).filter((shardId) => !this.readers.has(shardId));
    if (first) {
      if (this.options.latest) for (const shardId of starting) this.fromLatest.add(shardId);
      this.firstIterators.expect(starting);
    }
    for (const shardId of starting) this.startReader(streamArn, shardId);
  }

  private startReader(streamArn: string, shardId: string): void {
    const reading: ShardReading<R> = {
      ...this.options,
      streamArn,
      consumer: this.consumer,
      handle: this.handle,
      signal: this.signal,
      onSeen: (shard, newest) => (newest === undefined ? this.newest.delete(shard) : this.newest.set(shard, newest)),
      startOf: (shard): StartOfShard => (this.fromLatest.has(shard) ? 'LATEST' : 'TRIM_HORIZON'),
      onOpened: (shard) => this.firstIterators.opened(shard),
    };
    const reader = readShard(reading, shardId)
      .catch((error: unknown) => {
        this.options.logger?.error({ err: error, shardId }, 'shard reader failed');
        return 'gone' as const;
      })
      .then((end) => {
        this.firstIterators.opened(shardId);
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
  private async listShards(streamArn: string): Promise<ListedShard[]> {
    const shards: ListedShard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.options.streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
        { abortSignal: this.signal.abortSignal },
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        if (!shard.ShardId) continue;
        const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
        shards.push({ shardId: shard.ShardId, closed, ...(shard.ParentShardId ? { parentShardId: shard.ParentShardId } : {}) });
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

/** The first listing's shards still waiting for their first iterator; `done` once none is. */
class FirstIterators {
  private waiting: Set<string> | undefined;
  private resolve: () => void = () => undefined;
  readonly done = new Promise<void>((resolve) => (this.resolve = resolve));

  expect(shardIds: readonly string[]): void {
    this.waiting = new Set(shardIds);
    if (this.waiting.size === 0) this.resolve();
  }

  opened(shardId: string): void {
    if (!this.waiting?.delete(shardId)) return;
    if (this.waiting.size === 0) this.resolve();
  }

  release(): void {
    this.resolve();
  }
}
