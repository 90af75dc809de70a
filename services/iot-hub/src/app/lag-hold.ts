import type { Logger } from '@citus/kit';

export interface LagHoldOptions {
  /** Lag past which batches are held. */
  highWaterMs: number;
  /** The longest one batch is held: the consumer may be down, and ingest must still move. */
  maxHoldMs: number;
  /** How often the lag is looked at while holding. */
  pollMs: number;
}

/**
 * Defaults: the indexer's goal is 2 s of lag at 10,000 msg/s; at 10 s it is losing ground. A
 * batch is then held up to 1 s, so devices see PUBACKs slow down to about one batch a second
 * until the indexer catches up.
 */
export const LAG_HOLD_DEFAULTS: LagHoldOptions = { highWaterMs: 10_000, maxHoldMs: 1_000, pollMs: 50 };

/**
 * Back-pressure from a consumer downstream of the store: a `hold` for `IngestService` that
 * delays each batch while `lagMs()` is past the high-water mark, up to `maxHoldMs`. It logs once
 * when holding starts and once when it ends.
 */
export function lagHold(lagMs: () => number, logger: Logger, options: LagHoldOptions = LAG_HOLD_DEFAULTS): () => Promise<void> {
  let holding = false;
  return async () => {
    const started = Date.now();
    while (lagMs() > options.highWaterMs && Date.now() - started < options.maxHoldMs) {
      if (!holding) logger.warn({ lagMs: lagMs(), highWaterMs: options.highWaterMs }, 'indexer behind: slowing telemetry acknowledgements');
      holding = true;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
    if (holding && lagMs() <= options.highWaterMs) {
      holding = false;
      logger.info({ lagMs: lagMs() }, 'indexer caught up: telemetry acknowledged at full speed again');
    }
  };
}
