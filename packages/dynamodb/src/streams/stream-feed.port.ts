/**
 * What a DynamoDB Streams feed hands its consumer and asks of it. The consumers (the indexer,
 * analytics, the registry directory) declare their own ports of the same shape; these are the
 * technology's side, kept here so this package depends on no service.
 */

/** One delivery: records of one partition (a stream shard), in their order. */
export interface StreamBatch<R> {
  /** The shard id. */
  partition: string;
  records: R[];
}

export interface StreamSubscription {
  /** Stops reading; resolves once the batch in hand is handled and its checkpoint saved. */
  stop(): Promise<void>;
  /** Milliseconds between the newest record seen and now; 0 when caught up. For lag figures. */
  lagMs(): number;
  /**
   * Resolves once every shard of the first listing has its first iterator, or at stop. From
   * then on, no write to the table can be missed: what a caller reads afterwards (a Scan) and
   * what the stream delivers overlap instead of leaving a gap.
   */
  ready(): Promise<void>;
}

/** Durable consumer positions, per consumer and partition. */
export interface StreamCheckpoints {
  load(consumer: string, partition: string): Promise<string | undefined>;
  save(consumer: string, partition: string, position: string): Promise<void>;
  /** Partitions the consumer has finished for good (a closed shard read to its end). */
  markFinished(consumer: string, partition: string): Promise<void>;
  isFinished(consumer: string, partition: string): Promise<boolean>;
}
