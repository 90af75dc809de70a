/**
 * NAB's scoring rules (Numenta Anomaly Benchmark, v1.1 "sweeper"), written from its documentation
 * and reproduced against its published per-file results:
 * - the first 15 % of a file (at most 750 rows) is probationary and not scored;
 * - inside a labelled window only the best-placed detection counts, worth a scaled sigmoid of its
 *   relative position (the window's left edge is worth the full tp weight, its right edge nothing);
 * - a window with no detection costs the fn weight;
 * - a detection outside every window costs the fp weight, less when it lies close behind the
 *   previous window (a sigmoid of its distance past the window's right edge, in window widths).
 */

export interface CostProfile {
  tpWeight: number;
  fnWeight: number;
  fpWeight: number;
}

export const PROFILES: Record<'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate', CostProfile> = {
  standard: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 },
  reward_low_FP_rate: { tpWeight: 1, fnWeight: 1, fpWeight: 0.22 },
  reward_low_FN_rate: { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 },
};

export type ProfileName = keyof typeof PROFILES;

/** One scored file: its rows' anomaly scores and its windows as row-index ranges (inclusive). */
export interface ScoredFile {
  name: string;
  scores: ArrayLike<number>;
  windows: Array<[number, number]>;
}

/** A scored row: its anomaly score, the window it lies in (-1: none) and what detecting it is worth. */
interface SweepPoint {
  score: number;
  window: number;
  worth: number;
}

export interface FileResult {
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  total: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** NAB's scaled sigmoid: +1 far before 0, -1 from 3 on (a detection well past a window). */
export function scaledSigmoid(position: number): number {
  return position > 3 ? -1 : 2 * sigmoid(-5 * position) - 1;
}

export function probationaryLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/**
 * The file's scored rows with what each is worth when detected. Window ids are offset by
 * `windowBase` so that several files can be swept together.
 */
function sweepPoints(file: ScoredFile, profile: CostProfile, windowBase: number): SweepPoint[] {
  const maxTp = scaledSigmoid(-1);
  const probation = probationaryLength(file.scores.length);
  const points: SweepPoint[] = [];
  let next = 0;
  let current: [number, number] | undefined;
  let previous: [number, number] | undefined;
  for (let i = 0; i < file.scores.length; i++) {
    if (!current && next < file.windows.length && file.windows[next]![0] === i) current = file.windows[next++];
    let worth: number;
    if (current) {
      const width = current[1] - current[0] + 1;
      worth = (scaledSigmoid(-(current[1] - i + 1) / width) * profile.tpWeight) / maxTp;
    } else if (previous) {
      const width = previous[1] - previous[0] + 1;
      worth = scaledSigmoid(Math.abs(previous[1] - i) / (width - 1)) * profile.fpWeight;
    } else {
      worth = -profile.fpWeight;
    }
    if (i >= probation) points.push({ score: file.scores[i]!, window: current ? windowBase + next - 1 : -1, worth });
    if (current && i === current[1]) {
      previous = current;
      current = undefined;
    }
  }
  return points;
}

/** Running totals of a sweep from the highest threshold down. */
class Sweep {
  score: number;
  tp = 0;
  fp = 0;
  tn: number;
  fn: number;
  private readonly best = new Map<number, number>();

  constructor(
    points: SweepPoint[],
    private readonly profile: CostProfile,
  ) {
    const windows = new Set(points.filter((p) => p.window >= 0).map((p) => p.window));
    this.score = -windows.size * profile.fnWeight;
    this.fn = points.filter((p) => p.window >= 0).length;
    this.tn = points.length - this.fn;
  }

  detect(point: SweepPoint): void {
    if (point.window < 0) {
      this.fp++;
      this.tn--;
      this.score += point.worth;
      return;
    }
    this.tp++;
    this.fn--;
    const best = this.best.get(point.window);
    if (best === undefined) {
      this.score += point.worth + this.profile.fnWeight;
      this.best.set(point.window, point.worth);
    } else if (point.worth > best) {
      this.score += point.worth - best;
      this.best.set(point.window, point.worth);
    }
  }
}

/** One file's result when every row scoring at least `threshold` is a detection. */
export function scoreFile(file: ScoredFile, profile: CostProfile, threshold: number): FileResult {
  const points = sweepPoints(file, profile, 0);
  const sweep = new Sweep(points, profile);
  for (const point of points) if (point.score >= threshold) sweep.detect(point);
  return { score: sweep.score, tp: sweep.tp, tn: sweep.tn, fp: sweep.fp, fn: sweep.fn, total: file.scores.length };
}

export interface CorpusResult {
  threshold: number;
  raw: number;
  /** 100 * (raw - null) / (perfect - null): the null detector finds nothing, the perfect one every window at its left edge. */
  normalized: number;
}

/** The threshold that maximises the summed score over the files, and that score normalised. */
export function optimizeCorpus(files: ScoredFile[], profile: CostProfile): CorpusResult {
  let base = 0;
  const points: SweepPoint[] = [];
  for (const file of files) {
    points.push(...sweepPoints(file, profile, base));
    base += file.windows.length;
  }
  const sweep = new Sweep(points, profile);
  const nullScore = sweep.score;
  const windowCount = -nullScore / profile.fnWeight;
  const perfect = windowCount * profile.tpWeight;
  points.sort((a, b) => b.score - a.score);
  let best: CorpusResult = { threshold: 1.1, raw: nullScore, normalized: 0 };
  for (let i = 0; i < points.length; i++) {
    sweep.detect(points[i]!);
    const last = i + 1 === points.length || points[i + 1]!.score !== points[i]!.score;
    if (last && sweep.score > best.raw) best = { threshold: points[i]!.score, raw: sweep.score, normalized: 0 };
  }
  best.normalized = perfect === nullScore ? 0 : (100 * (best.raw - nullScore)) / (perfect - nullScore);
  return best;
}
