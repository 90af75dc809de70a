/** Past this many series in cool-down, expired entries are swept before another is added. */
const SWEEP_AT = 10_000;

/**
 * Per rule and series, when the rule may fire again. Kept in memory: after a restart a rule may
 * fire once more for a series still cooling down, which is better than a lost alert.
 */
export class AlertCooldowns {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Claims the series for `seconds` if it is not cooling down; checked and set in one step, so concurrent signals fire once. */
  tryClaim(key: string, seconds: number): boolean {
    const now = this.now();
    const until = this.until.get(key);
    if (until !== undefined && until > now) return false;
    if (this.until.size >= SWEEP_AT) this.sweep(now);
    if (seconds > 0) this.until.set(key, now + seconds * 1000);
    return true;
  }

  /** A changed or deleted rule starts afresh. */
  forgetRule(ruleId: string): void {
    const prefix = `${ruleId}\u0000`;
    for (const key of this.until.keys()) if (key.startsWith(prefix)) this.until.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, until] of this.until) if (until <= now) this.until.delete(key);
  }
}
