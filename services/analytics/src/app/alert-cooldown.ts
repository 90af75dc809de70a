/**
 * Series in cool-down kept at most. Keys are built from device-chosen stream and field names, so
 * without a cap a device could grow the map without end; past it the oldest claim goes first (its
 * series may then fire again early, which is better than unbounded memory).
 */
export const MAX_COOLDOWNS = 10_000;
/** Past this many series, expired entries are swept, at most once per this many new claims. */
const SWEEP_AT = 1_000;

/**
 * Per rule and series, when the rule may fire again. Kept in memory: after a restart a rule may
 * fire once more for a series still cooling down, which is better than a lost alert.
 */
export class AlertCooldowns {
  /** In the order claimed, oldest first: a Map iterates in insertion order. */
  private readonly until = new Map<string, number>();
  private claimedSinceSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Claims the series for `seconds` if it is not cooling down; checked and set in one step, so concurrent signals fire once. */
  tryClaim(key: string, seconds: number): boolean {
    const now = this.now();
    const until = this.until.get(key);
    if (until !== undefined && until > now) return false;
    if (seconds <= 0) return true;
    // Deleted first so the renewed claim moves to the end of the eviction order.
    this.until.delete(key);
    if (this.until.size >= SWEEP_AT && ++this.claimedSinceSweep >= SWEEP_AT) this.sweep(now);
    for (const oldest of this.until.keys()) {
      if (this.until.size < MAX_COOLDOWNS) break;
      this.until.delete(oldest);
    }
    this.until.set(key, now + seconds * 1000);
    return true;
  }

  /** Gives back a claim whose firing was skipped. */
  release(key: string): void {
    this.until.delete(key);
  }

  /** A changed or deleted rule starts afresh. */
  forgetRule(ruleId: string): void {
    const prefix = `${ruleId}\u0000`;
    for (const key of this.until.keys()) if (key.startsWith(prefix)) this.until.delete(key);
  }

  /** How many series are held, expired ones not yet swept included. */
  get size(): number {
    return this.until.size;
  }

  private sweep(now: number): void {
    this.claimedSinceSweep = 0;
    for (const [key, until] of this.until) if (until <= now) this.until.delete(key);
  }
}
