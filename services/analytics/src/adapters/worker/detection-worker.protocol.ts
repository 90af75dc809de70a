import type { Anomaly } from '@citus/contracts';
import type { DetectionStats } from '../../app/anomaly-detection.service.js';
import type { AnalyticsConfig } from '../../config.js';

export interface DetectionWorkerData {
  dataDir: string;
  config: AnalyticsConfig;
  logLevel: string;
}

/** From the platform to the detection thread. */
export type ToDetection =
  | { type: 'settings.changed' }
  | { type: 'thing.deleted'; workspaceId: string; thingName: string }
  | { type: 'stop' };

/** From the detection thread to the platform. */
export type FromDetection =
  | { type: 'ready' }
  | { type: 'anomaly'; anomaly: Anomaly }
  | { type: 'stats'; lagMs: number; stats: DetectionStats }
  | { type: 'stopped' };
