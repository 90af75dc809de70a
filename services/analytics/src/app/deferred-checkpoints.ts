import type { CheckpointStore } from '@citus/indexer';

export interface Pending {
  consumer: string;
  partition: string;
  position?: string;
  finished?: boolean;
}

/**
 * A checkpoint store that holds the feed's positions back until the detector states they stand
 * for are saved. Detector states are written every so often, not at every batch (each is tens of
 * KiB); the feed must not move its saved position past points whose learning is still only in
 * memory, or a crash would lose them. After a crash the feed replays from the last released
 * position, and each series skips the points its saved state already holds (its last epoch), so
 * the detectors continue exactly where their saved states stopped.
 *
 * Use: `take()` the pending positions, save the detector states, then `release()` what was taken,
 * all without yielding in between the first two (nothing is handled between them).
 */
export class DeferredCheckpoints implements CheckpointStore {
  private pending = new Map<string, Pending>();

  constructor(private readonly inner: CheckpointStore) {}

  load(consumer: string, partition: string): Promise<string | undefined> {
    const held = this.pending.get(key(consumer, partition))?.position;
    return held === undefined ? this.inner.load(consumer, partition) : Promise.resolve(held);
  }

  save(consumer: string, partition: string, position: string): Promise<void> {
    this.entry(consumer, partition).position = position;
    return Promise.resolve();
  }

  markFinished(consumer: string, partition: string): Promise<void> {
    this.entry(consumer, partition).finished = true;
    return Promise.resolve();
  }

  isFinished(consumer: string, partition: string): Promise<boolean> {
    return this.pending.get(key(consumer, partition))?.finished ? Promise.resolve(true) : this.inner.isFinished(consumer, partition);
  }

  /** The positions held back so far; they stop being held once released. */
  take(): Pending[] {
    const taken = [...this.pending.values()];
    this.pending = new Map();
    return taken;
  }

  /** Saves taken positions for good (after the detector states that include them are saved). */
  async release(taken: Pending[]): Promise<void> {
    for (const { consumer, partition, position, finished } of taken) {
      if (position !== undefined) await this.inner.save(consumer, partition, position);
      if (finished) await this.inner.markFinished(consumer, partition);
    }
  }

  /** Holds taken positions again after a failed save, unless newer ones arrived meanwhile. */
  restore(taken: Pending[]): void {
    for (const item of taken) {
      const id = key(item.consumer, item.partition);
      const newer = this.pending.get(id);
      this.pending.set(id, { ...item, ...newer, finished: Boolean(item.finished || newer?.finished) });
    }
  }

  private entry(consumer: string, partition: string): Pending {
    const id = key(consumer, partition);
    let entry = this.pending.get(id);
    if (!entry) this.pending.set(id, (entry = { consumer, partition }));
    return entry;
  }
}

const key = (consumer: string, partition: string) => `${consumer}\u0000${partition}`;
