import { createLogger } from '@citus/kit';
import type { CheckpointStore } from '@citus/indexer';
import { DeferredCheckpoints } from '../src/app/deferred-checkpoints.js';
import { StateSaver } from '../src/app/state-saver.js';

/** The checkpoints the inner store has for good, and a switch to make its saves fail. */
function innerStore() {
  const saved = new Map<string, string>();
  const finished = new Set<string>();
  let failing = false;
  const store: CheckpointStore = {
    load: (consumer, partition) => Promise.resolve(saved.get(`${consumer}/${partition}`)),
    save: (consumer, partition, position) => {
      if (failing) return Promise.reject(new Error('checkpoint table unreachable (injected)'));
      saved.set(`${consumer}/${partition}`, position);
      return Promise.resolve();
    },
    markFinished: (consumer, partition) => {
      finished.add(`${consumer}/${partition}`);
      return Promise.resolve();
    },
    isFinished: (consumer, partition) => Promise.resolve(finished.has(`${consumer}/${partition}`)),
  };
  return { store, saved, finished, fail: (on: boolean) => (failing = on) };
}

const logger = createLogger({ level: 'silent' });

describe('feed positions held back until the detector states are saved', () => {
  it('keeps positions (and finished shards) in memory until a save has written the states', async () => {
    const inner = innerStore();
    const checkpoints = new DeferredCheckpoints(inner.store);
    const writes: string[] = [];
    const saver = new StateSaver({ saveStates: () => (writes.push('states'), 3) }, checkpoints, logger);
    await checkpoints.save('analytics', 'shard-1', '41');
    await checkpoints.markFinished('analytics', 'shard-0');
    // The feed itself sees where it is; a crash now would restart from the inner store's position.
    await expect(checkpoints.load('analytics', 'shard-1')).resolves.toBe('41');
    await expect(checkpoints.isFinished('analytics', 'shard-0')).resolves.toBe(true);
    expect(inner.saved.size).toBe(0);
    expect(inner.finished.size).toBe(0);

    await saver.save();
    expect(writes).toEqual(['states']);
    expect(inner.saved.get('analytics/shard-1')).toBe('41');
    expect(inner.finished.has('analytics/shard-0')).toBe(true);
  });

  it('holds the positions again when the states could not be saved, and releases them with the next save', async () => {
    const inner = innerStore();
    const checkpoints = new DeferredCheckpoints(inner.store);
    let fail = true;
    const saver = new StateSaver(
      {
        saveStates: () => {
          if (fail) throw new Error('disk full (injected)');
          return 1;
        },
      },
      checkpoints,
      logger,
    );
    await checkpoints.save('analytics', 'p', '7');
    await saver.save();
    expect(inner.saved.size).toBe(0);
    fail = false;
    await saver.save();
    expect(inner.saved.get('analytics/p')).toBe('7');
  });

  it('keeps a newer position over a restored older one when releasing failed meanwhile', async () => {
    const inner = innerStore();
    const checkpoints = new DeferredCheckpoints(inner.store);
    const saver = new StateSaver({ saveStates: () => 1 }, checkpoints, logger);
    await checkpoints.save('analytics', 'p', '10');
    inner.fail(true);
    const saving = saver.save();
    // A batch handled while the release is under way moves the position on.
    await checkpoints.save('analytics', 'p', '12');
    await saving;
    inner.fail(false);
    await saver.save();
    expect(inner.saved.get('analytics/p')).toBe('12');
  });

  it('follows a save under way with one more, so a save at stop covers what was learnt before it was asked for', async () => {
    const inner = innerStore();
    const checkpoints = new DeferredCheckpoints(inner.store);
    let saves = 0;
    const saver = new StateSaver({ saveStates: () => ++saves }, checkpoints, logger);
    await checkpoints.save('analytics', 'p', '1');
    const periodic = saver.save();
    // Learnt after the periodic save took its positions: only a further save covers it.
    await checkpoints.save('analytics', 'p', '2');
    const atStop = saver.save();
    const again = saver.save();
    await Promise.all([periodic, atStop, again]);
    expect(saves).toBe(2);
    expect(inner.saved.get('analytics/p')).toBe('2');
  });
});
