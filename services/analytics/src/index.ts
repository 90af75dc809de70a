export { DEFAULT_DETECTOR, DETECTOR_NAMES, detectorKind, openDetector } from './domain/detectors/detector.registry.js';
export type { DetectorKind, DetectorSnapshot, SeriesDetector } from './domain/detector.port.js';
