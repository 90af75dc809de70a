/** A shard of a change stream as discovery lists it. */
export interface ShardInfo {
  shardId: string;
  /** Set on a shard created by a split: its records follow every record of the parent. */
  parentShardId?: string;
}

/**
 * Which shards may be read now, parents before their children.
 *
 * A split closes the parent and opens children that carry the same keys' later changes, so a child
 * read before its parent is finished would deliver a key's newer records before its older ones
 * (DynamoDB Streams: "process the parent shard before the child shard"). Hence a child waits until
 * the consumer has finished its parent. A parent no longer listed has aged out of the stream
 * (24 h retention): nothing of it can be read any more, so its children are free to go.
 * Finished shards are never read again.
 */
export function readableShards(shards: readonly ShardInfo[], finished: ReadonlySet<string>): string[] {
  const listed = new Set(shards.map((shard) => shard.shardId));
  return shards
    .filter((shard) => !finished.has(shard.shardId))
    .filter(({ parentShardId }) => parentShardId === undefined || finished.has(parentShardId) || !listed.has(parentShardId))
    .map((shard) => shard.shardId);
}
