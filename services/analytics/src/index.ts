export { DEFAULT_DETECTOR, DETECTOR_NAMES, detectorKind, openDetector } from './domain/detectors/detector.registry.js';
export type { DetectorKind, DetectorSnapshot, SeriesDetector } from './domain/detector.port.js';
export type { ThingDirectory } from './domain/detection-store.port.js';
export { ANALYTICS_CONSUMER } from './detection.runner.js';
export { createService, type AnalyticsContext, type AnalyticsModule } from './service.js';
export type { DevicePlaneOptions } from './adapters/device-plane/device-plane.client.js';
export { AnalyticsConfig } from './config.js';
export { openDetection, type DetectionModule, type DetectionOptions } from './detection.module.js';
