import { setImmediate as nextTick } from 'node:timers/promises';
import { PipelinedCommit } from '../src/app/pipelined-commit.queue.js';

/** An asynchronous store whose writes finish only when the test says so. */
function controlledStore() {
  const batches: number[][] = [];
  const finishers: Array<() => void> = [];
  const write = (items: number[]) =>
    new Promise<number[]>((resolve) => {
      batches.push(items);
      finishers.push(() => resolve(items.map((item) => item * 2)));
    });
  return { batches, write, finish: (index: number) => finishers[index]?.() };
}

describe('PipelinedCommit', () => {
  it('writes one batch at a time and gathers what arrives meanwhile into the next', async () => {
    const store = controlledStore();
    const commit = new PipelinedCommit(store.write);
    const first = [1, 2].map((item) => commit.submit(item));
    await nextTick();
    expect(store.batches).toEqual([[1, 2]]);
    const second = [3, 4, 5].map((item) => commit.submit(item));
    await nextTick();
    expect(store.batches).toHaveLength(1);
    expect(commit.queued).toBe(3);
    store.finish(0);
    await expect(Promise.all(first)).resolves.toEqual([2, 4]);
    await nextTick();
    expect(store.batches).toEqual([[1, 2], [3, 4, 5]]);
    store.finish(1);
    await expect(Promise.all(second)).resolves.toEqual([6, 8, 10]);
  });

  it('answers no caller before its own batch is written', async () => {
    const store = controlledStore();
    const commit = new PipelinedCommit(store.write);
    let answered = false;
    const pending = commit.submit(1).then(() => (answered = true));
    await nextTick();
    await nextTick();
    expect(answered).toBe(false);
    store.finish(0);
    await pending;
    expect(answered).toBe(true);
  });

  it('splits a backlog into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const commit = new PipelinedCommit(
      async (items: number[]) => {
        sizes.push(items.length);
        return items;
      },
      { maxBatch: 2 },
    );
    await expect(Promise.all([1, 2, 3, 4, 5].map((item) => commit.submit(item)))).resolves.toEqual([1, 2, 3, 4, 5]);
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('rejects every item of a failed batch and writes the next one', async () => {
    let fail = true;
    const commit = new PipelinedCommit(async (items: number[]) => {
      if (fail) throw new Error('disk full');
      return items;
    });
    const batch = await Promise.allSettled([commit.submit(1), commit.submit(2)]);
    expect(batch.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(commit.submit(3)).resolves.toBe(3);
  });

  it('refuses a store that answers a different number of outcomes', async () => {
    const commit = new PipelinedCommit(async (items: number[]) => items.slice(1));
    await expect(commit.submit(1)).rejects.toThrow(/0 outcomes for 1 items/);
  });

  it('waits for the hold before writing, so back-pressure delays the answers', async () => {
    let release: () => void = () => undefined;
    const written: number[][] = [];
    const commit = new PipelinedCommit(
      async (items: number[]) => {
        written.push(items);
        return items;
      },
      { hold: () => new Promise<void>((resolve) => (release = resolve)) },
    );
    const pending = commit.submit(1);
    await nextTick();
    await nextTick();
    expect(written).toEqual([]);
    release();
    await expect(pending).resolves.toBe(1);
    expect(written).toEqual([[1]]);
  });

  it('drain resolves once the batch in flight and everything queued are written', async () => {
    const store = controlledStore();
    const commit = new PipelinedCommit(store.write);
    const all = [commit.submit(1)];
    await nextTick();
    all.push(commit.submit(2));
    const drained = commit.drain();
    store.finish(0);
    await nextTick();
    await nextTick();
    store.finish(1);
    await drained;
    expect(store.batches).toEqual([[1], [2]]);
    await expect(Promise.all(all)).resolves.toEqual([2, 4]);
  });
});
