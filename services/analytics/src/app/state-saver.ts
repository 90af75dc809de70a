import type { Logger } from '@citus/kit';
import type { AnomalyDetectionService } from './anomaly-detection.service.js';
import type { DeferredCheckpoints } from './deferred-checkpoints.js';

/**
 * Saves the detectors' states, then releases the feed positions they include. One save at a
 * time: a save asked for while one runs follows it (asked for again meanwhile, it is the same
 * follow-up), so a save at stop covers everything learnt before it was asked for. A failed save
 * keeps the positions held back (the next save covers them, and a crash before then replays from
 * the older position, which the states' last epochs make harmless).
 */
export class StateSaver {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    private readonly detection: Pick<AnomalyDetectionService, 'saveStates'>,
    private readonly checkpoints: DeferredCheckpoints,
    private readonly logger: Logger,
  ) {}

  save(): Promise<void> {
    if (!this.running) {
      this.running = this.saveOnce().finally(() => (this.running = undefined));
      return this.running;
    }
    this.next ??= this.running.then(() => {
      this.next = undefined;
      return this.save();
    });
    return this.next;
  }

  private async saveOnce(): Promise<void> {
    // Taken before the states are written, with no await between: every position taken is of a
    // batch whose points those states hold.
    const positions = this.checkpoints.take();
    let saved: number;
    try {
      saved = this.detection.saveStates();
    } catch (error) {
      this.checkpoints.restore(positions);
      this.logger.error({ err: error }, 'saving detector states failed; retried at the next save');
      return;
    }
    try {
      await this.checkpoints.release(positions);
    } catch (error) {
      this.checkpoints.restore(positions);
      this.logger.warn({ err: error }, 'saving the change feed position failed; retried at the next save');
      return;
    }
    if (saved > 0) this.logger.debug({ series: saved }, 'detector states saved');
  }
}
