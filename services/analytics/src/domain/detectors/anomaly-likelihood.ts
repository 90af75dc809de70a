import { erfc } from './windowed-gaussian.detector.js';

/**
 * How unusual a series' recent raw scores are, against their own history (the idea of Numenta's
 * "anomaly likelihood"): the short moving average of the raw scores, placed in a normal fitted
 * to the long history of those averages. A raw score that is high all the time on a noisy series
 * means little; one that is rare on that series means a lot.
 */
export interface LikelihoodState {
  /** The last `short` raw scores, oldest first. */
  recent: number[];
  recentSum: number;
  /** Exponentially weighted mean and variance of the short averages. */
  mean: number;
  variance: number;
  seen: number;
}

export interface LikelihoodParams {
  short: number;
  /** The weight of a new average in the long statistics (1 / the effective history length). */
  alpha: number;
  /** Averages folded in before any likelihood other than 0.5 is given. */
  warmUp: number;
  minStd: number;
}

export function newLikelihood(): LikelihoodState {
  return { recent: [], recentSum: 0, mean: 0, variance: 0, seen: 0 };
}

/** Folds one raw score in; answers the share of the past that the recent average lies above. */
export function likelihood(s: LikelihoodState, raw: number, p: LikelihoodParams): number {
  s.recent.push(raw);
  s.recentSum += raw;
  if (s.recent.length > p.short) s.recentSum -= s.recent.shift()!;
  const average = s.recentSum / s.recent.length;
  const std = Math.max(Math.sqrt(s.variance), p.minStd);
  const result = s.seen < p.warmUp ? 0.5 : 0.5 * erfc(-(average - s.mean) / std / Math.SQRT2);
  s.seen++;
  const weight = Math.max(p.alpha, 1 / s.seen);
  const delta = average - s.mean;
  s.mean += weight * delta;
  s.variance = (1 - weight) * (s.variance + weight * delta * delta);
  return result;
}

/**
 * Likelihoods near 1 differ in their number of nines: 0.5 at 1 - 1e-5, 1 at 1 - 1e-10 (the scale
 * Numenta's detector reports on NAB).
 */
export function logLikelihood(like: number): number {
  return Math.min(1, Math.max(0, Math.log(1.0000000001 - like) / Math.log(1 - 0.9999999999)));
}
