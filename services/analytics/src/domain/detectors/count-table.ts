/**
 * A bounded table of event counts keyed by 32-bit hashes, in two typed arrays (open addressing).
 * When it fills, every count is halved and the ones that reach zero are dropped: old, rare
 * patterns are forgotten first, and a series' memory never grows past its capacity.
 */
export class CountTable {
  private keys: Int32Array;
  private counts: Uint16Array;
  private used = 0;

  constructor(readonly capacity: number) {
    this.keys = new Int32Array(capacity);
    this.counts = new Uint16Array(capacity);
  }

  /**
   * A table holding exactly `entries` (as `entries()` gave them): where they sit in the arrays
   * may differ, what `get` and `add` answer does not. Undefined when they cannot be this table's.
   */
  static of(capacity: number, entries: { keys: Int32Array; counts: Uint16Array }): CountTable | undefined {
    const { keys, counts } = entries;
    if (keys.length !== counts.length || keys.length > capacity * 0.75) return undefined;
    const table = new CountTable(capacity);
    for (let i = 0; i < keys.length; i++) {
      if (counts[i] === 0 || table.find(keys[i]!) >= 0) return undefined;
      table.counts[table.insertSlot(keys[i]!)] = counts[i]!;
    }
    table.used = keys.length;
    return table;
  }

  get(key: number): number {
    const slot = this.find(key);
    return slot < 0 ? 0 : this.counts[slot]!;
  }

  add(key: number): void {
    let slot = this.find(key);
    if (slot >= 0 && this.counts[slot]! === 0xffff) {
      this.age();
      slot = this.find(key);
    }
    if (slot < 0) {
      if (this.used >= this.capacity * 0.75) this.age();
      slot = this.insertSlot(key);
      this.used++;
    }
    this.counts[slot]!++;
  }

  /** The counted keys and their counts (only the slots in use: a snapshot is as small as the table is full). */
  entries(): { keys: Int32Array; counts: Uint16Array } {
    const keys = new Int32Array(this.used);
    const counts = new Uint16Array(this.used);
    for (let i = 0, n = 0; i < this.capacity; i++) {
      if (this.counts[i] === 0) continue;
      keys[n] = this.keys[i]!;
      counts[n++] = this.counts[i]!;
    }
    return { keys, counts };
  }

  private find(key: number): number {
    const mask = this.capacity - 1;
    for (let i = key & mask, probes = 0; probes < this.capacity; i = (i + 1) & mask, probes++) {
      if (this.counts[i] === 0) return -1;
      if (this.keys[i] === key) return i;
    }
    return -1;
  }

  private insertSlot(key: number): number {
    const mask = this.capacity - 1;
    let i = key & mask;
    while (this.counts[i]! > 0) i = (i + 1) & mask;
    this.keys[i] = key;
    return i;
  }

  private age(): void {
    const keys = this.keys;
    const counts = this.counts;
    this.keys = new Int32Array(this.capacity);
    this.counts = new Uint16Array(this.capacity);
    this.used = 0;
    for (let i = 0; i < this.capacity; i++) {
      const halved = counts[i]! >> 1;
      if (halved === 0) continue;
      const slot = this.insertSlot(keys[i]!);
      this.counts[slot] = halved;
      this.used++;
    }
  }
}

/**
 * A 32-bit hash of an integer tuple (murmur3's mixing and finaliser), built part by part:
 * `finish(mix(mix(SEED, a), b))`. Parts may exceed 32 bits (levels of a series far from its
 * first range), so both halves of each are mixed in.
 */
export const SEED = 0x9747b28c;

// Module constants, not `Math.*` at each call: a global lookup per call is slow in some hosts
// (jest's VM contexts make this hash ~50 times slower).
const { imul, floor } = Math;

export function mix(hash: number, part: number): number {
  return mixWord(mixWord(hash, part | 0), floor(part / 0x100000000) | 0);
}

function mixWord(hash: number, word: number): number {
  let k = imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  let h = hash ^ imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (imul(h, 5) + 0xe6546b64) | 0;
}

export function finish(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The hash of a whole tuple. */
export function hashParts(...parts: number[]): number {
  let hash = SEED;
  for (let i = 0; i < parts.length; i++) hash = mix(hash, parts[i]!);
  return finish(hash);
}
