import { KeyedTurns } from '../src/keyed-turns.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedTurns', () => {
  test('runs the work of one key one after the other, past failures, and other keys beside it', async () => {
    const turns = new KeyedTurns();
    const log: string[] = [];
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = turns.run('a', async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
      throw new Error('a1 failed');
    });
    const second = turns.run('a', async () => void log.push('a2'));
    const other = turns.run('b', async () => {
      log.push('b1');
      return 'b';
    });
    expect(await other).toBe('b');
    await tick();
    expect(log).toEqual(['a1 start', 'b1']);
    release();
    await expect(first).rejects.toThrow('a1 failed');
    await second;
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  test('forgets a key once nothing waits on it', async () => {
    const turns = new KeyedTurns();
    await turns.run('a', async () => 1);
    await tick();
    expect((turns as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });
});
