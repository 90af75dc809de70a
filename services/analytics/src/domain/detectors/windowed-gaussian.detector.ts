import type { DetectorKind, DetectorSnapshot, SeriesDetector } from '../detector.port.js';

const NAME = 'windowed-gaussian';
const VERSION = 1;
const WINDOW = 6400;
const STEP = 100;

interface State {
  window: number[];
  buffer: number[];
  mean: number;
  std: number;
}

/**
 * NAB's windowed Gaussian baseline: the tail probability of a point under a normal fitted to the
 * last 6,400 points, refitted every 100. Kept as a reference to compare the default against.
 */
class WindowedGaussianDetector implements SeriesDetector {
  constructor(private readonly s: State) {}

  update(_epoch: number, value: number): number {
    const { s } = this;
    let score = 0;
    if (s.window.length > 0) {
      const std = s.std > 0 ? s.std : 1e-6;
      score = 1 - normalTail((value - s.mean) / std);
    }
    if (s.window.length < WINDOW) {
      s.window.push(value);
      this.refit();
    } else {
      s.buffer.push(value);
      if (s.buffer.length === STEP) {
        s.window = s.window.slice(STEP).concat(s.buffer);
        s.buffer = [];
        this.refit();
      }
    }
    return score;
  }

  snapshot(): DetectorSnapshot {
    return { detector: NAME, version: VERSION, state: { ...this.s } };
  }

  private refit(): void {
    const { window } = this.s;
    const mean = window.reduce((sum, x) => sum + x, 0) / window.length;
    const variance = window.reduce((sum, x) => sum + (x - mean) ** 2, 0) / window.length;
    this.s.mean = mean;
    this.s.std = Math.sqrt(variance);
  }
}

/** The upper tail probability of a standard normal: P(Z > z), for |z| (both tails matter). */
function normalTail(z: number): number {
  return 0.5 * erfc(Math.abs(z) / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

function isState(value: unknown): value is State {
  const s = value as Partial<State> | null;
  return !!s && Array.isArray(s.window) && Array.isArray(s.buffer) && typeof s.mean === 'number' && typeof s.std === 'number';
}

export const windowedGaussian: DetectorKind = {
  name: NAME,
  defaultThreshold: 0.99,
  create: () => new WindowedGaussianDetector({ window: [], buffer: [], mean: 0, std: 0 }),
  restore: (snapshot) =>
    snapshot.detector === NAME && snapshot.version === VERSION && isState(snapshot.state)
      ? new WindowedGaussianDetector({ ...snapshot.state })
      : undefined,
};
