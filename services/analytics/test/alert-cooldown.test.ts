import { AlertCooldowns, MAX_COOLDOWNS } from '../src/app/alert-cooldown.js';

describe('alert cool-downs', () => {
  let now = 0;
  const cooldowns = () => new AlertCooldowns(() => now);
  beforeEach(() => {
    now = 1_000_000;
  });

  it('fire a series once within its cool-down, and again after it', () => {
    const held = cooldowns();
    expect(held.tryClaim('rule\u0000a', 60)).toBe(true);
    expect(held.tryClaim('rule\u0000a', 60)).toBe(false);
    now += 60_000;
    expect(held.tryClaim('rule\u0000a', 60)).toBe(true);
  });

  it(`hold at most ${MAX_COOLDOWNS} series however many names devices make up, the oldest claim going first`, () => {
    const held = cooldowns();
    for (let i = 0; i <= MAX_COOLDOWNS; i++) expect(held.tryClaim(`rule\u0000series-${i}`, 3600)).toBe(true);
    expect(held.size).toBe(MAX_COOLDOWNS);
    expect(held.tryClaim(`rule\u0000series-${MAX_COOLDOWNS}`, 3600)).toBe(false);
    expect(held.tryClaim('rule\u0000series-1', 3600)).toBe(false);
    expect(held.tryClaim('rule\u0000series-0', 3600)).toBe(true);
    expect(held.size).toBe(MAX_COOLDOWNS);
  });

  it('sweep expired series as new ones come, not only at the cap', () => {
    const held = cooldowns();
    for (let i = 0; i < 3_000; i++) held.tryClaim(`rule\u0000old-${i}`, 1);
    now += 1_000;
    for (let i = 0; i < 1_000; i++) held.tryClaim(`rule\u0000new-${i}`, 3600);
    expect(held.size).toBeLessThan(3_000);
  });

  it('give back a released claim and forget a changed rule', () => {
    const held = cooldowns();
    held.tryClaim('a\u0000x', 60);
    held.tryClaim('b\u0000x', 60);
    held.release('a\u0000x');
    held.forgetRule('b');
    expect(held.tryClaim('a\u0000x', 60)).toBe(true);
    expect(held.tryClaim('b\u0000x', 60)).toBe(true);
  });
});
