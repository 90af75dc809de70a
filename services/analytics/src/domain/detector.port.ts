/**
 * A detector's saved state: plain JSON, so it can be persisted between runs and a restart
 * continues exactly where the last run stopped. `version` changes when the state's shape does;
 * a state of another version is not restored (the series starts learning again).
 */
export interface DetectorSnapshot {
  detector: string;
  version: number;
  state: unknown;
}

/**
 * One series' online detector: it sees each point once, in arrival order, with no look-ahead,
 * and answers an anomaly score in [0, 1] for it. A score at or above the series' threshold is an
 * anomaly. The same code scores the NAB corpus (`pnpm nab run`) and live telemetry.
 */
export interface SeriesDetector {
  /** Feeds one point (epoch ms, value); returns its anomaly score in [0, 1]. */
  update(epoch: number, value: number): number;
  snapshot(): DetectorSnapshot;
}

/** Makes detectors of one kind, fresh or from a snapshot. */
export interface DetectorKind {
  name: string;
  /** The score at or above which a point is reported as an anomaly, unless a series' settings say otherwise. */
  defaultThreshold: number;
  create(): SeriesDetector;
  /** Undefined when the snapshot is of another kind or version. */
  restore(snapshot: DetectorSnapshot): SeriesDetector | undefined;
}
