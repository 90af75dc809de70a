import type { CheckpointStore } from '../../src/domain/change-feed.port.js';

/** One adapter's storage, fresh for each test. */
export interface CheckpointStoreHarness {
  store: CheckpointStore;
  /** A second adapter over the same storage, as after a restart. */
  reopen(): CheckpointStore;
  destroy(): Promise<void>;
}

/** The rules every `CheckpointStore` adapter keeps (see the port); run once per adapter. */
export function checkpointStoreContract(adapter: string, open: () => Promise<CheckpointStoreHarness>): void {
  describe(`${adapter} checkpoints`, () => {
    let harness: CheckpointStoreHarness | undefined;
    const store = () => (harness as CheckpointStoreHarness).store;
    beforeEach(async () => {
      harness = await open();
    });
    afterEach(async () => {
      await harness?.destroy();
      harness = undefined;
    });

    it('has no position and is not finished before anything is saved', async () => {
      expect(await store().load('indexer', 'shard-1')).toBeUndefined();
      expect(await store().isFinished('indexer', 'shard-1')).toBe(false);
    });

    it('keeps the last saved position, across a restart', async () => {
      await store().save('indexer', 'shard-1', '100');
      await store().save('indexer', 'shard-1', '250');
      expect(await store().load('indexer', 'shard-1')).toBe('250');
      expect(await (harness as CheckpointStoreHarness).reopen().load('indexer', 'shard-1')).toBe('250');
    });

    it('keeps positions apart per consumer and per partition', async () => {
      await store().save('indexer', 'shard-1', '1');
      await store().save('indexer', 'shard-2', '2');
      await store().save('analytics', 'shard-1', '3');
      expect(await store().load('indexer', 'shard-1')).toBe('1');
      expect(await store().load('indexer', 'shard-2')).toBe('2');
      expect(await store().load('analytics', 'shard-1')).toBe('3');
      expect(await store().load('analytics', 'shard-2')).toBeUndefined();
    });

    it('marks a partition finished for one consumer only, keeping its position, across a restart', async () => {
      await store().save('indexer', 'shard-1', '900');
      await store().markFinished('indexer', 'shard-1');
      expect(await store().isFinished('indexer', 'shard-1')).toBe(true);
      expect(await store().load('indexer', 'shard-1')).toBe('900');
      expect(await store().isFinished('analytics', 'shard-1')).toBe(false);
      expect(await store().isFinished('indexer', 'shard-2')).toBe(false);
      expect(await (harness as CheckpointStoreHarness).reopen().isFinished('indexer', 'shard-1')).toBe(true);
    });

    it('keeps the finished mark when a position is saved afterwards', async () => {
      await store().markFinished('indexer', 'shard-1');
      await store().save('indexer', 'shard-1', '901');
      expect(await store().isFinished('indexer', 'shard-1')).toBe(true);
      expect(await store().load('indexer', 'shard-1')).toBe('901');
    });

    it('can finish a partition that never had a position (a closed shard with no records)', async () => {
      await store().markFinished('indexer', 'empty');
      expect(await store().isFinished('indexer', 'empty')).toBe(true);
      expect(await store().load('indexer', 'empty')).toBeUndefined();
    });
  });
}
