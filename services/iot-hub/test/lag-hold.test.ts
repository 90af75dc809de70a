import { createLogger } from '@citus/kit';
import { lagHold } from '../src/app/lag-hold.js';

const logger = createLogger({ level: 'silent' });
const options = { highWaterMs: 1_000, maxHoldMs: 300, pollMs: 10 };

describe('lagHold', () => {
  it('does not hold while the consumer keeps up', async () => {
    const hold = lagHold(() => 999, logger, options);
    const started = performance.now();
    await hold();
    expect(performance.now() - started).toBeLessThan(options.pollMs);
  });

  it('holds a batch until the lag falls back under the high-water mark', async () => {
    let lag = 5_000;
    const hold = lagHold(() => lag, logger, options);
    let released = false;
    const holding = hold().then(() => (released = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(released).toBe(false);
    lag = 200;
    await holding;
    expect(released).toBe(true);
  });

  it('holds one batch at most maxHoldMs, so ingest moves even when the consumer is down', async () => {
    const hold = lagHold(() => Number.MAX_SAFE_INTEGER, logger, options);
    const started = performance.now();
    await hold();
    const held = performance.now() - started;
    expect(held).toBeGreaterThanOrEqual(options.maxHoldMs - 5);
    expect(held).toBeLessThan(options.maxHoldMs + 500);
  });
});
