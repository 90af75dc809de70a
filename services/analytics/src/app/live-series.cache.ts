/**
 * The most recently used entries, at most `capacity` of them: a `Map` keeps insertion order, so
 * re-inserting on use makes its first key the least recently used one.
 */
export class LruCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly capacity: number,
    /** Told of each entry pushed out for room (not of deletions). */
    private readonly onEvict: (key: string, value: V) => void = () => undefined,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      const value = this.entries.get(oldest.value)!;
      this.entries.delete(oldest.value);
      this.onEvict(oldest.value, value);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  deleteWhere(matches: (key: string) => boolean): void {
    for (const key of [...this.entries.keys()]) if (matches(key)) this.entries.delete(key);
  }
}
