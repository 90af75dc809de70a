import { setTimeout as delay } from 'node:timers/promises';

export interface Backoff {
  /** First retry delay; doubled on each further failure. */
  initialMs: number;
  maxMs: number;
}

/**
 * The stop switch shared by a subscription's loops: sleeps end early when it is pulled, and it
 * aborts AWS calls in flight (`abortSignal`), so `stop()` never waits out a poll interval or a
 * long-polling request, only a batch in hand.
 */
export class PollSignal {
  private readonly controller = new AbortController();

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  get abortSignal(): AbortSignal {
    return this.controller.signal;
  }

  stop(): void {
    this.controller.abort();
  }

  /** Resolves after `ms`, at stop, or when `wake` settles, whichever comes first. */
  async sleep(ms: number, wake?: Promise<void>): Promise<void> {
    const timer = new AbortController();
    const stopTimer = () => timer.abort();
    this.controller.signal.addEventListener('abort', stopTimer, { once: true });
    try {
      await Promise.race([delay(ms, undefined, { signal: timer.signal }).catch(() => undefined), ...(wake ? [wake] : [])]);
    } finally {
      timer.abort();
      this.controller.signal.removeEventListener('abort', stopTimer);
    }
  }

  /** Sleeps the back-off for the nth consecutive failure, with jitter so replicas do not retry in step. */
  backOff(backoff: Backoff, failures: number): Promise<void> {
    const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 30));
    return this.sleep(ceiling / 2 + Math.random() * (ceiling / 2));
  }
}
