/**
 * Reads until `accept` holds or `within` ms pass, every `everyMs`; answers the last value read
 * either way, for the caller's assertion to show what it saw.
 */
export async function eventually<T>(read: () => T | Promise<T>, accept: (value: T) => boolean, within = 5_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + within;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
