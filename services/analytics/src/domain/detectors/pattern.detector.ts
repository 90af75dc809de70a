import type { DetectorKind, DetectorSnapshot, SeriesDetector } from '../detector.port.js';
import { likelihood, logLikelihood, newLikelihood, type LikelihoodParams, type LikelihoodState } from './anomaly-likelihood.js';
import { CountTable, finish, mix, SEED } from './count-table.js';

/**
 * The default detector. A series is quantised into levels (a seventh of the range its first
 * points span), and three memories of those levels are kept in one bounded count table:
 * - sequences: which level followed the last one, two and three levels (the longest context seen
 *   decides how surprising the new level is);
 * - calendar: which levels occur at this hour of the day, and at this hour of the week;
 * - level shift: a fast and a slow moving average drifting apart, in units of the slow spread.
 * Each surprise goes through its own anomaly likelihood (how unusual the recent surprise is for
 * this series), and the strongest wins. A value well outside every value seen so far scores 1.
 * After an anomaly, the series stays quiet for a while: one incident, one report.
 */
export interface PatternParams {
  levels: number;
  /** Points seen before levels are fixed and scoring starts. */
  warmUp: number;
  order: number;
  likelihood: LikelihoodParams;
  /** How far past the seen range (as a share of it) a value must lie to score 1 at once. */
  rangeTolerance: number;
  /** Points kept quiet after a reported anomaly. */
  quietAfterReport: number;
  reportLevel: number;
  fastWeight: number;
  slowWeight: number;
  shiftScale: number;
  /** Count-table entries (a power of two); 6 bytes each, so 48 KiB per series at 8,192. */
  capacity: number;
}

export const PATTERN_PARAMS: PatternParams = {
  levels: 7,
  warmUp: 150,
  order: 3,
  likelihood: { short: 10, alpha: 1 / 1000, warmUp: 300, minStd: 0.01 },
  rangeTolerance: 0.05,
  quietAfterReport: 300,
  reportLevel: 0.5,
  fastWeight: 0.2,
  slowWeight: 0.005,
  shiftScale: 4,
  capacity: 8192,
};

const NAME = 'pattern';
// 2: the table's entries only, not its whole arrays.
const VERSION = 2;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// Tags keep the memories' keys apart in the one table. After a context, LEVEL then a level counts
// that level's events in the context, and TOTAL counts all of them.
const SEQUENCE = 1;
const HOUR_OF_DAY = 2;
const HOUR_OF_WEEK = 3;
const TOTAL = -1;
const LEVEL = -2;

interface Scalars {
  n: number;
  min: number;
  max: number;
  origin: number;
  width: number;
  history: number[];
  quiet: number;
  fast: number;
  slow: number;
  slowVariance: number;
  sequenceLikelihood: LikelihoodState;
  dailyLikelihood: LikelihoodState;
  weeklyLikelihood: LikelihoodState;
  shiftLikelihood: LikelihoodState;
  warm: Array<[number, number]>;
}

class PatternDetector implements SeriesDetector {
  constructor(
    private readonly s: Scalars,
    private readonly table: CountTable,
    private readonly p: PatternParams,
  ) {}

  update(epoch: number, value: number): number {
    const { s, p } = this;
    s.n++;
    if (s.n <= p.warmUp) return this.warmUp(epoch, value);
    const range = s.max - s.min;
    const outOfRange = range > 0 && (value > s.max + range * p.rangeTolerance || value < s.min - range * p.rangeTolerance);
    s.min = Math.min(s.min, value);
    s.max = Math.max(s.max, value);
    const level = Math.floor((value - s.origin) / s.width);
    const sequence = this.sequenceSurprise(level);
    const daily = this.calendarSurprise(HOUR_OF_DAY, hourOfDay(epoch), level);
    const weekly = (daily + this.calendarSurprise(HOUR_OF_WEEK, hourOfWeek(epoch), level)) / 2;
    this.learn(epoch, level);
    const shift = this.shift(value);
    const scores = [
      logLikelihood(likelihood(s.sequenceLikelihood, sequence, p.likelihood)),
      logLikelihood(likelihood(s.dailyLikelihood, daily, p.likelihood)),
      logLikelihood(likelihood(s.weeklyLikelihood, weekly, p.likelihood)),
      logLikelihood(likelihood(s.shiftLikelihood, 1 - Math.exp(-shift / p.shiftScale), p.likelihood)),
    ];
    const score = outOfRange ? 1 : Math.max(...scores);
    return this.report(score);
  }

  snapshot(): DetectorSnapshot {
    const { keys, counts } = this.table.entries();
    return {
      detector: NAME,
      version: VERSION,
      state: { scalars: this.s, keys: toBase64(keys), counts: toBase64(counts) },
    };
  }

  private warmUp(epoch: number, value: number): number {
    const { s, p } = this;
    s.warm.push([epoch, value]);
    if (s.n === 1) s.min = s.max = value;
    s.min = Math.min(s.min, value);
    s.max = Math.max(s.max, value);
    if (s.n === p.warmUp) {
      const range = s.max - s.min;
      s.width = range > 0 ? range / p.levels : Math.max(Math.abs(s.min) * 0.01, 1e-6);
      s.origin = s.min;
      for (const [time, warmValue] of s.warm) this.learn(time, Math.floor((warmValue - s.origin) / s.width));
      s.warm = [];
      s.fast = s.slow = value;
    }
    return 0;
  }

  private report(score: number): number {
    const { s, p } = this;
    if (s.quiet > 0) {
      s.quiet--;
      return Math.min(score, p.reportLevel / 2);
    }
    if (score >= p.reportLevel) s.quiet = p.quietAfterReport;
    return score;
  }

  /** 1 - the share of this context's successors within one level of `level`, for the longest context seen. */
  private sequenceSurprise(level: number): number {
    const { history } = this.s;
    let surprise = 1;
    // Contexts grow backwards from the newest level: k = 1 is [last], k = 2 is [last, one before] ...
    let context = mix(SEED, SEQUENCE);
    for (let k = 1; k <= Math.min(this.p.order, history.length); k++) {
      context = mix(context, history[history.length - k]!);
      const total = this.table.get(totalKey(context, k));
      if (total === 0) continue;
      surprise = 1 - Math.min(1, this.near(context, k, level) / total);
    }
    return surprise;
  }

  private calendarSurprise(tag: number, slot: number, level: number): number {
    const context = mix(mix(SEED, tag), slot);
    const total = this.table.get(totalKey(context, 1));
    if (total === 0) return 1;
    return 1 - Math.min(1, this.near(context, 1, level) / total);
  }

  /** The counts of the three levels around `level` after `context` (of `depth` parts). */
  private near(context: number, depth: number, level: number): number {
    return this.table.get(levelKey(context, depth, level - 1)) + this.table.get(levelKey(context, depth, level)) + this.table.get(levelKey(context, depth, level + 1));
  }

  private learn(epoch: number, level: number): void {
    const { history } = this.s;
    let context = mix(SEED, SEQUENCE);
    for (let k = 1; k <= Math.min(this.p.order, history.length); k++) {
      context = mix(context, history[history.length - k]!);
      this.count(context, k, level);
    }
    history.push(level);
    if (history.length > this.p.order) history.shift();
    this.count(mix(mix(SEED, HOUR_OF_DAY), hourOfDay(epoch)), 1, level);
    this.count(mix(mix(SEED, HOUR_OF_WEEK), hourOfWeek(epoch)), 1, level);
  }

  private count(context: number, depth: number, level: number): void {
    this.table.add(totalKey(context, depth));
    this.table.add(levelKey(context, depth, level));
  }

  /** How far the fast average has drifted from the slow one, in slow spreads (plus a level, for flat series). */
  private shift(value: number): number {
    const { s, p } = this;
    const shift = Math.abs(s.fast - s.slow) / (Math.sqrt(s.slowVariance) + s.width);
    s.fast += p.fastWeight * (value - s.fast);
    const delta = value - s.slow;
    s.slow += p.slowWeight * delta;
    s.slowVariance = (1 - p.slowWeight) * (s.slowVariance + p.slowWeight * delta * delta);
    return shift;
  }
}

// A context's keys end with its depth, which no level position can take (TOTAL and LEVEL are
// never depths), so a key of one context never equals a key of a longer one.
const totalKey = (context: number, depth: number) => finish(mix(mix(context, TOTAL), depth));
const levelKey = (context: number, depth: number, level: number) => finish(mix(mix(mix(context, LEVEL), depth), level));

const hourOfDay = (epoch: number) => Math.floor((((epoch % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
const hourOfWeek = (epoch: number) => Math.floor((((epoch % (7 * DAY_MS)) + 7 * DAY_MS) % (7 * DAY_MS)) / HOUR_MS);

function toBase64(array: Int32Array | Uint16Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

function fromBase64<T extends Int32Array | Uint16Array>(text: string, make: (buffer: ArrayBuffer) => T, width: number): T | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % width !== 0) return undefined;
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return make(copy);
}

function restore(snapshot: DetectorSnapshot, p: PatternParams): SeriesDetector | undefined {
  if (snapshot.detector !== NAME || snapshot.version !== VERSION) return undefined;
  const state = snapshot.state as { scalars?: Scalars; keys?: unknown; counts?: unknown } | null;
  if (!state?.scalars || typeof state.keys !== 'string' || typeof state.counts !== 'string') return undefined;
  const keys = fromBase64(state.keys, (b) => new Int32Array(b), 4);
  const counts = fromBase64(state.counts, (b) => new Uint16Array(b), 2);
  const table = keys && counts ? CountTable.of(p.capacity, { keys, counts }) : undefined;
  return table && new PatternDetector(structuredClone(state.scalars), table, p);
}

export function patternKind(p: PatternParams = PATTERN_PARAMS): DetectorKind {
  return {
    name: NAME,
    defaultThreshold: p.reportLevel,
    create: () =>
      new PatternDetector(
        {
          n: 0,
          min: 0,
          max: 0,
          origin: 0,
          width: 1,
          history: [],
          quiet: 0,
          fast: 0,
          slow: 0,
          slowVariance: 0,
          sequenceLikelihood: newLikelihood(),
          dailyLikelihood: newLikelihood(),
          weeklyLikelihood: newLikelihood(),
          shiftLikelihood: newLikelihood(),
          warm: [],
        },
        new CountTable(p.capacity),
        p,
      ),
    restore: (snapshot) => restore(snapshot, p),
  };
}

export const pattern = patternKind();
