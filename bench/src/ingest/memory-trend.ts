import type { RssSample } from './rss-sampler.js';

/** The platform's memory is flat when the fitted growth over the run's second half is below this share of its RSS. */
export const FLAT_GROWTH_SHARE = 0.05;
const WARM_UP_SHARE = 0.1;

export const FLAT_RULE =
  `flat = growth over the second half of the run (least-squares line through the RSS samples) ` +
  `< ${FLAT_GROWTH_SHARE * 100} % of the mean RSS of that half (a fall counts as flat)`;

export interface MemorySummary {
  samples: number;
  /** RSS at the first sample at or after 10 % of the run, once start-up allocations are done. */
  warmUpMb: number;
  warmUpAtSeconds: number;
  endMb: number;
  maxMb: number;
  secondHalfMeanMb: number;
  secondHalfGrowthMbPerMinute: number;
  /** Fitted growth over the whole second half, as a share of its mean RSS. */
  secondHalfGrowthShare: number;
  flat: boolean;
  rule: string;
  /** Every sample, `[seconds, MiB]`, for a plot. */
  series: [number, number][];
}

/** Least-squares slope of y over x; 0 with fewer than two distinct x. */
export function linearSlope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const { x, y } of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

/** Warm-up, end and peak RSS, and whether it stays flat over the second half of a run of `durationSeconds`. */
export function summarizeMemory(samples: RssSample[], durationSeconds: number): MemorySummary | null {
  const last = samples.at(-1);
  if (!last) return null;
  const warmUp = samples.find((s) => s.seconds >= WARM_UP_SHARE * durationSeconds) ?? last;
  const half = samples.filter((s) => s.seconds >= durationSeconds / 2);
  const secondHalf = half.length >= 2 ? half : samples.slice(-2);
  const slopePerSecond = linearSlope(secondHalf.map((s) => ({ x: s.seconds, y: s.rssMb })));
  const meanMb = secondHalf.reduce((sum, s) => sum + s.rssMb, 0) / secondHalf.length;
  const span = secondHalf.at(-1)!.seconds - secondHalf[0]!.seconds;
  const share = meanMb > 0 ? (slopePerSecond * span) / meanMb : 0;
  return {
    samples: samples.length,
    warmUpMb: warmUp.rssMb,
    warmUpAtSeconds: warmUp.seconds,
    endMb: last.rssMb,
    maxMb: Math.max(...samples.map((s) => s.rssMb)),
    secondHalfMeanMb: meanMb,
    secondHalfGrowthMbPerMinute: slopePerSecond * 60,
    secondHalfGrowthShare: share,
    flat: share < FLAT_GROWTH_SHARE,
    rule: FLAT_RULE,
    series: samples.map((s) => [Math.round(s.seconds * 10) / 10, Math.round(s.rssMb * 10) / 10]),
  };
}
