import { setImmediate as nextTick } from 'node:timers/promises';
import { GroupCommit } from '../src/app/group-commit.queue.js';

/** A flush that records its batches and answers each item doubled. */
function recordingFlush() {
  const batches: number[][] = [];
  return { batches, flush: (items: number[]) => (batches.push(items), items.map((item) => item * 2)) };
}

describe('GroupCommit', () => {
  it('writes items submitted in one tick as one batch, each caller getting its own result', async () => {
    const { batches, flush } = recordingFlush();
    const commit = new GroupCommit(flush);
    const results = await Promise.all([1, 2, 3].map((item) => commit.submit(item)));
    expect(batches).toEqual([[1, 2, 3]]);
    expect(results).toEqual([2, 4, 6]);
  });

  it('writes items of later ticks in later batches', async () => {
    const { batches, flush } = recordingFlush();
    const commit = new GroupCommit(flush);
    const first = commit.submit(1);
    await nextTick();
    const second = commit.submit(2);
    await Promise.all([first, second]);
    expect(batches).toEqual([[1], [2]]);
  });

  it('does not resolve before the flush ran', async () => {
    const { batches, flush } = recordingFlush();
    const commit = new GroupCommit(flush);
    let resolved = false;
    const pending = commit.submit(1).then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false);
    expect(batches).toEqual([]);
    await pending;
    expect(resolved).toBe(true);
  });

  it('rejects every item of a batch whose flush throws, and recovers for the next', async () => {
    let fail = true;
    const commit = new GroupCommit((items: number[]) => {
      if (fail) throw new Error('disk full');
      return items;
    });
    const batch = await Promise.allSettled([commit.submit(1), commit.submit(2)]);
    expect(batch).toEqual([
      { status: 'rejected', reason: new Error('disk full') },
      { status: 'rejected', reason: new Error('disk full') },
    ]);
    fail = false;
    await expect(commit.submit(3)).resolves.toBe(3);
  });

  it('flushes at once when a batch is full', async () => {
    const { batches, flush } = recordingFlush();
    const commit = new GroupCommit(flush, { maxBatch: 3 });
    const pending = [1, 2, 3, 4, 5].map((item) => commit.submit(item));
    expect(batches).toEqual([[1, 2, 3]]);
    await Promise.all(pending);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('drains what is queued synchronously, and later ticks find nothing left', async () => {
    const { batches, flush } = recordingFlush();
    const commit = new GroupCommit(flush);
    const pending = [commit.submit(1), commit.submit(2)];
    commit.drain();
    expect(batches).toEqual([[1, 2]]);
    await expect(Promise.all(pending)).resolves.toEqual([2, 4]);
    await nextTick();
    expect(batches).toHaveLength(1);
  });
});
