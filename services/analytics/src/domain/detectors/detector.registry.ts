import type { DetectorKind, DetectorSnapshot, SeriesDetector } from '../detector.port.js';
import { pattern } from './pattern.detector.js';
import { windowedGaussian } from './windowed-gaussian.detector.js';

/** Every detector a series may use, by name. */
export const DETECTOR_KINDS = {
  [pattern.name]: pattern,
  [windowedGaussian.name]: windowedGaussian,
} as const satisfies Record<string, DetectorKind>;

export const DETECTOR_NAMES = Object.keys(DETECTOR_KINDS) as [string, ...string[]];

/** The detector a series uses unless its settings name another. */
export const DEFAULT_DETECTOR: DetectorKind = pattern;

export function detectorKind(name: string): DetectorKind | undefined {
  return (DETECTOR_KINDS as Record<string, DetectorKind>)[name];
}

/** A detector of the named kind, continued from `snapshot` when it is that kind's, fresh otherwise. */
export function openDetector(name: string, snapshot?: DetectorSnapshot): SeriesDetector {
  const kind = detectorKind(name) ?? DEFAULT_DETECTOR;
  return (snapshot && kind.restore(snapshot)) ?? kind.create();
}
