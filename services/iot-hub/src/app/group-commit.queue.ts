export interface GroupCommitOptions {
  /** A batch this large is written at once. */
  maxBatch?: number;
}

/**
 * Collects work submitted in the same turn of the event loop and runs it as one batch: with a
 * durable store this is one fsync for many messages (group commit), and every caller still waits
 * for its own write to be committed.
 */
export class GroupCommit<T, R> {
  private pending: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;
  private readonly maxBatch: number;

  constructor(
    private readonly flush: (items: T[]) => R[],
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 2000;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.run();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
      }
    });
  }

  /** Writes everything submitted so far, now (the flush is synchronous). */
  drain(): void {
    this.run();
  }

  private run(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      const results = this.flush(batch.map((entry) => entry.item));
      batch.forEach((entry, index) => entry.resolve(results[index] as R));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
