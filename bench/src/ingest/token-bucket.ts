/**
 * Whole sends allowed at `rate` a second. Tokens the sender could not use (no room in any device's
 * window) are kept up to `capacity` and then dropped, so a sender that falls behind shows a lower
 * achieved rate instead of catching up in one burst.
 */
export class TokenBucket {
  private tokens = 0;

  constructor(
    private readonly rate: number,
    private readonly capacity: number,
    private last: number,
  ) {}

  /** Refills for the milliseconds since the last call, then takes up to `max` whole tokens. */
  take(now: number, max: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + (Math.max(0, now - this.last) * this.rate) / 1000);
    this.last = now;
    const taken = Math.max(0, Math.min(Math.floor(this.tokens), max));
    this.tokens -= taken;
    return taken;
  }
}
