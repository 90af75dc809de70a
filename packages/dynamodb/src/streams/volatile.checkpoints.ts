import type { StreamCheckpoints } from './stream-feed.port.js';

/**
 * Positions kept in memory only, for a feed that starts at LATEST on each run (`startAt:
 * 'latest'`): it never resumes, so it needs no checkpoint table, but its readers still move
 * their positions and finished shards through the same calls.
 */
export class VolatileCheckpoints implements StreamCheckpoints {
  private readonly positions = new Map<string, string>();
  private readonly finished = new Set<string>();

  load(consumer: string, partition: string): Promise<string | undefined> {
    return Promise.resolve(this.positions.get(key(consumer, partition)));
  }

  save(consumer: string, partition: string, position: string): Promise<void> {
    this.positions.set(key(consumer, partition), position);
    return Promise.resolve();
  }

  markFinished(consumer: string, partition: string): Promise<void> {
    this.finished.add(key(consumer, partition));
    return Promise.resolve();
  }

  isFinished(consumer: string, partition: string): Promise<boolean> {
    return Promise.resolve(this.finished.has(key(consumer, partition)));
  }
}

const key = (consumer: string, partition: string): string => `${consumer}\u0000${partition}`;
