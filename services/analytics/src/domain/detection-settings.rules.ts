import { DEFAULT_DETECTOR, detectorKind } from './detectors/detector.registry.js';

/** A workspace's settings: `threshold` null means each detector's own default. */
export interface WorkspaceSettings {
  detector: string;
  threshold: number | null;
  enabled: boolean;
}

/** A series' own settings; what it leaves out follows its workspace. */
export interface SeriesOverrides {
  detector?: string;
  threshold?: number;
  enabled?: boolean;
}

/** What a series is scored with. */
export interface EffectiveSettings {
  detector: string;
  threshold: number;
  enabled: boolean;
}

/** A workspace nobody configured: the default detector at its own threshold, on. */
export const defaultWorkspaceSettings = (): WorkspaceSettings => ({ detector: DEFAULT_DETECTOR.name, threshold: null, enabled: true });

/**
 * The series' overrides over its workspace's settings. A detector name no longer known (a
 * detector removed from the registry since it was chosen) falls back to the default one, which
 * is the detector `openDetector` would open for it anyway.
 */
export function effectiveSettings(workspace: WorkspaceSettings, overrides: SeriesOverrides | undefined): EffectiveSettings {
  const kind = detectorKind(overrides?.detector ?? workspace.detector) ?? DEFAULT_DETECTOR;
  return {
    detector: kind.name,
    threshold: overrides?.threshold ?? workspace.threshold ?? kind.defaultThreshold,
    enabled: overrides?.enabled ?? workspace.enabled,
  };
}
