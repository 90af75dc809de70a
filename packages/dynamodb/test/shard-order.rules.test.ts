import { readableShards, type ShardInfo } from '../src/streams/shard-order.rules.js';

// Shard splits cannot be forced on DynamoDB Local, so the parent -> child rule is tested here as a
// pure function over shard lists shaped like DescribeStream's after splits.
const shard = (shardId: string, parentShardId?: string): ShardInfo => ({ shardId, ...(parentShardId ? { parentShardId } : {}) });

describe('readableShards', () => {
  const cases: Array<{ name: string; shards: ShardInfo[]; finished: string[]; readable: string[] }> = [
    { name: 'a fresh stream: every root shard', shards: [shard('a'), shard('b')], finished: [], readable: ['a', 'b'] },
    { name: 'a split: the children wait for their open parent', shards: [shard('p'), shard('c1', 'p'), shard('c2', 'p')], finished: [], readable: ['p'] },
    { name: 'a split: the children go once the parent is finished', shards: [shard('p'), shard('c1', 'p'), shard('c2', 'p')], finished: ['p'], readable: ['c1', 'c2'] },
    { name: 'a chain: only the oldest unfinished generation', shards: [shard('g1'), shard('g2', 'g1'), shard('g3', 'g2')], finished: ['g1'], readable: ['g2'] },
    { name: 'a chain fully read but the newest', shards: [shard('g1'), shard('g2', 'g1'), shard('g3', 'g2')], finished: ['g1', 'g2'], readable: ['g3'] },
    { name: 'a parent aged out of the stream (not listed) frees its child', shards: [shard('c', 'gone')], finished: [], readable: ['c'] },
    { name: 'finished shards are never read again', shards: [shard('a'), shard('b')], finished: ['a', 'b'], readable: [] },
    {
      name: 'independent lineages progress apart',
      shards: [shard('a'), shard('a1', 'a'), shard('b'), shard('b1', 'b'), shard('b2', 'b')],
      finished: ['b'],
      readable: ['a', 'b1', 'b2'],
    },
    { name: 'a child listed before its parent still waits for it', shards: [shard('c', 'p'), shard('p')], finished: [], readable: ['p'] },
    { name: 'a grandchild waits while its parent is unread, even with the grandparent finished', shards: [shard('g'), shard('p', 'g'), shard('c', 'p')], finished: ['g'], readable: ['p'] },
  ];

  it.each(cases)('$name', ({ shards, finished, readable }) => {
    expect(readableShards(shards, new Set(finished))).toEqual(readable);
  });
});
