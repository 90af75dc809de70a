import type { Anomaly } from '@citus/contracts';
import type { DetectorSnapshot } from './detector.port.js';
import type { SeriesOverrides, WorkspaceSettings } from './detection-settings.rules.js';
import type { SeriesId } from './series.model.js';

/** A series' saved detector and the newest point folded into it. */
export interface SeriesState {
  detector: string;
  snapshot: DetectorSnapshot;
  /** Epoch ms of the last point the snapshot includes: a point at or before it is not fed again. */
  lastEpoch: number;
}

/** What one handled batch of the change feed changed: saved together or not at all. */
export interface DetectionCommit {
  series: Array<{ id: SeriesId; state: SeriesState }>;
  anomalies: Anomaly[];
}

export interface AnomalyFilter {
  thingName?: string;
  field?: string;
  from?: number;
  to?: number;
  limit: number;
  /** Continue after this anomaly (newest first: older ones, then smaller ids at the same time). */
  after?: { epoch: number; id: string };
}

/**
 * Port: series states and anomalies. Synchronous: the analytics state lives in a local SQLite
 * file in every mode (the scale-out part is the change feed it follows), and the detection loop
 * then reads a series without giving up the thread between points.
 */
export interface DetectionStore {
  loadSeries(id: SeriesId): SeriesState | undefined;
  /**
   * One transaction: a batch's states and anomalies are durable together before the batch counts
   * as handled. Answers the anomalies newly stored (one already stored for its point, by a run
   * before a crash, is not stored or answered again).
   */
  commit(batch: DetectionCommit): Anomaly[];
  /** How many series of the thing have a saved state. */
  countSeries(workspaceId: string, thingName: string): number;
  /** Newest first, the workspace's only. */
  listAnomalies(workspaceId: string, filter: AnomalyFilter): Anomaly[];
  /** How many anomalies of one thing's field fall between `from` and `to` (epoch ms, both included). */
  countAnomalies(workspaceId: string, thingName: string, range: { from: number; to: number; field: string }): number;
  /** A deleted thing's series start afresh should the name come back; its anomalies stay, like its telemetry. */
  forgetThing(workspaceId: string, thingName: string): void;
}

/** Port: detection settings per workspace and per series. */
export interface SettingsRepository {
  allWorkspaceSettings(): Array<{ workspaceId: string; settings: WorkspaceSettings }>;
  allSeriesOverrides(): Array<{ id: SeriesId; overrides: SeriesOverrides }>;
  saveWorkspaceSettings(workspaceId: string, settings: WorkspaceSettings): void;
  saveSeriesOverrides(id: SeriesId, overrides: SeriesOverrides): void;
  deleteSeriesOverrides(id: SeriesId): void;
  forgetThing(workspaceId: string, thingName: string): void;
}

/**
 * Port: which workspace a thing belongs to (the device registry's answer); undefined for no such
 * thing. Answered at once in the registry's process, over the internal API from a process of its
 * own: people's settings requests wait for it, the detection loop never asks.
 */
export interface ThingDirectory {
  workspaceOfThing(thingName: string): string | undefined | Promise<string | undefined>;
}
