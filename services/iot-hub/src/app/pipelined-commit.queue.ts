/**
 * Group commit for a store that writes asynchronously (another thread, or a remote table): one
 * batch is written at a time, and what arrives meanwhile gathers into the next batch. A slower
 * store therefore means larger batches and later answers, never dropped work: every caller waits
 * for its own item to be durable, and the broker holds the PUBACK until then.
 *
 * `hold`, when given, runs before each batch is written and may delay it (back-pressure from a
 * consumer further downstream, such as the indexer).
 */
export class PipelinedCommit<T, R> {
  private pending: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: { maxBatch?: number; hold?: () => Promise<void> } = {},
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.writing || this.scheduled) return;
      this.scheduled = true;
      // Everything submitted in this turn of the event loop joins the batch.
      setImmediate(() => {
        this.scheduled = false;
        this.next();
      });
    });
  }

  /** Items waiting for the next batch, not counting the batch being written. */
  get queued(): number {
    return this.pending.length;
  }

  /** Resolves once everything submitted so far has been written (or has failed). */
  async drain(): Promise<void> {
    while (this.writing || this.pending.length > 0) {
      if (!this.writing) this.next();
      await this.writing;
    }
  }

  private next(): void {
    if (this.writing || this.pending.length === 0) return;
    const max = this.options.maxBatch ?? 5_000;
    const batch = this.pending.length <= max ? this.pending : this.pending.slice(0, max);
    this.pending = batch === this.pending ? [] : this.pending.slice(max);
    this.writing = this.run(batch).finally(() => {
      this.writing = undefined;
      this.next();
    });
  }

  private async run(batch: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }>): Promise<void> {
    try {
      await this.options.hold?.();
      const results = await this.write(batch.map((entry) => entry.item));
      if (results.length !== batch.length) throw new Error(`store answered ${results.length} outcomes for ${batch.length} items`);
      batch.forEach((entry, index) => entry.resolve(results[index] as R));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
