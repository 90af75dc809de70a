/**
 * One stored telemetry message as the change feed carries it: the table's key (`topic`, `epoch`)
 * and what the index needs. A record may come more than once (at-least-once delivery); index
 * writes keyed by `topic` + `epoch` make a repeat harmless.
 */
export interface ChangeRecord {
  topic: string;
  epoch: number;
  workspaceId: string;
  thingName: string;
  /** The payload as stored: JSON text. */
  payload: string;
}

/** What one delivery hands the consumer: records of one partition (a shard), in their order. */
export interface ChangeBatch<R = ChangeRecord> {
  /** The partition the records come from (a DynamoDB Streams shard id; one fixed name when embedded). */
  partition: string;
  records: R[];
}

export interface FeedSubscription {
  /** Stops reading; resolves once the batch in hand is handled and its checkpoint saved. */
  stop(): Promise<void>;
  /** Milliseconds between the newest record seen and now; 0 when caught up. For lag figures. */
  lagMs(): number;
}

/**
 * Port: a table's change stream: the telemetry table's (DynamoDB Streams, or the embedded change
 * log), or the registry table's (`R` = `DeviceChange`, DynamoDB Streams only).
 * Delivers every change at least once, in order within a partition, and saves the consumer's
 * position (through a `CheckpointStore`) only after `handle` resolved for a batch: a crash
 * replays, it never skips. A rejected `handle` is retried with back-off; the feed does not move on.
 * `handle` may run for several partitions at once, but never twice at once for one partition.
 */
export interface ChangeFeed<R = ChangeRecord> {
  start(consumer: string, handle: (batch: ChangeBatch<R>) => Promise<void>): FeedSubscription;
}

/** Port: durable consumer positions, per consumer and partition. */
export interface CheckpointStore {
  load(consumer: string, partition: string): Promise<string | undefined>;
  save(consumer: string, partition: string, position: string): Promise<void>;
  /** Partitions the consumer has finished for good (a closed shard read to its end). */
  markFinished(consumer: string, partition: string): Promise<void>;
  isFinished(consumer: string, partition: string): Promise<boolean>;
}

/** A change feed with the connections it was opened on, closed once its subscription has stopped. */
export interface OpenedFeed<R = ChangeRecord> {
  feed: ChangeFeed<R>;
  close(): Promise<void> | void;
}
