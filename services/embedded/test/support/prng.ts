/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): tiny, fast, and the same sequence for the same
 * seed on every machine, so a fuzz failure reproduces from the seed printed in the test name.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [0, max). */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  bytes(length: number): Buffer {
    const buffer = Buffer.alloc(length);
    for (let index = 0; index < length; index += 1) buffer[index] = this.int(256);
    return buffer;
  }

  /** A string of `length` characters drawn from `alphabet` (code points, so emoji stay whole). */
  string(length: number, alphabet: readonly string[]): string {
    let text = '';
    for (let index = 0; index < length; index += 1) text += this.pick(alphabet);
    return text;
  }
}
