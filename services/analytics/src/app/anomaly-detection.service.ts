import type { Anomaly } from '@citus/contracts';
import { newId, type Logger } from '@citus/kit';
import type { DetectionStore, SeriesState } from '../domain/detection-store.port.js';
import type { SeriesDetector } from '../domain/detector.port.js';
import { openDetector } from '../domain/detectors/detector.registry.js';
import { seriesKey, thingKeyPrefix, type SeriesId, type SeriesPoint } from '../domain/series.model.js';
import { pointsOf, type StoredMessage } from '../domain/telemetry-points.rules.js';
import type { DetectionSettingsService } from './detection-settings.service.js';
import { LruCache } from './live-series.cache.js';

/** A series' detector as it runs: what the store holds of it, plus the detector itself. */
interface LiveSeries {
  id: SeriesId;
  detectorName: string;
  detector: SeriesDetector;
  lastEpoch: number;
}

export interface DetectionStats {
  points: number;
  /** Points at or before their series' last folded point: replays, resends, late arrivals. */
  skipped: number;
  anomalies: number;
  /** Points of new series refused because their thing already has `maxSeriesPerThing`. */
  refused: number;
  liveSeries: number;
  /** Series whose detector has learnt since its state was last saved. */
  unsavedSeries: number;
}

export interface AnomalyDetectionOptions {
  /** Detectors kept in memory; the least recently used beyond it are saved and reopened from their snapshots. */
  maxLiveSeries: number;
  /**
   * Series one thing may have: field names come from devices, and each series costs a detector
   * in memory and a saved state, so a device inventing keys must not grow them without end.
   */
  maxSeriesPerThing: number;
  onAnomaly: (anomaly: Anomaly) => void;
}

/**
 * Runs every numeric series of the telemetry change feed through its detector, in arrival order,
 * each point once. A batch's anomalies are committed before `handle` resolves, and announced once
 * committed. Detector states are saved by `saveStates` (every so often, at stop, and when a
 * series leaves memory), each with the last epoch it holds: the feed's position is held back
 * until then (`DeferredCheckpoints`), and a point replayed after a crash that a saved state
 * already holds is skipped.
 */
export class AnomalyDetectionService {
  private readonly live: LruCache<LiveSeries>;
  private readonly unsaved = new Map<string, LiveSeries>();
  /** Anomalies of a batch whose commit failed: committed with the next attempt. */
  private pendingAnomalies: Anomaly[] = [];
  private readonly counts = { points: 0, skipped: 0, anomalies: 0, refused: 0 };
  /** Series per thing (saved or not), counted from the store the first time the thing is seen. */
  private readonly seriesPerThing = new Map<string, number>();
  /** Things already reported as over their series limit, so the log says it once. */
  private readonly overLimit = new Set<string>();

  constructor(
    private readonly store: DetectionStore,
    private readonly settings: DetectionSettingsService,
    private readonly logger: Logger,
    private readonly options: AnomalyDetectionOptions,
  ) {
    // A series pushed out of memory with unsaved learning is saved on its way out.
    this.live = new LruCache(options.maxLiveSeries, (key, series) => {
      if (this.unsaved.delete(key)) this.store.commit({ series: [stateOf(series)], anomalies: [] });
    });
  }

  handle(messages: readonly StoredMessage[]): Promise<void> {
    const anomalies = this.pendingAnomalies;
    for (const message of messages) {
      for (const point of pointsOf(message)) this.fold(point, anomalies);
    }
    if (anomalies.length === 0) return Promise.resolve();
    let stored: Anomaly[];
    try {
      stored = this.store.commit({ series: [], anomalies });
    } catch (error) {
      // The detectors have learnt these points (a retry skips them); their anomalies wait for the retry.
      this.pendingAnomalies = anomalies;
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.pendingAnomalies = [];
    // Only the newly stored: a point replayed after a crash may be found anomalous again, but it
    // was announced (and alerted on) when first stored.
    this.counts.anomalies += stored.length;
    for (const anomaly of stored) this.options.onAnomaly(anomaly);
    if (stored.length > 0) this.logger.debug({ anomalies: stored.length }, 'anomalies detected');
    return Promise.resolve();
  }

  /** Saves every series that learnt since its last save, in one transaction; answers how many. */
  saveStates(): number {
    if (this.unsaved.size === 0) return 0;
    const series = [...this.unsaved.values()].map(stateOf);
    this.store.commit({ series, anomalies: [] });
    this.unsaved.clear();
    return series.length;
  }

  /** A deleted thing's detectors go; should the name come back, its series start afresh. */
  forgetThing(workspaceId: string, thingName: string): void {
    const prefix = thingKeyPrefix(workspaceId, thingName);
    this.live.deleteWhere((key) => key.startsWith(prefix));
    for (const key of [...this.unsaved.keys()]) if (key.startsWith(prefix)) this.unsaved.delete(key);
    this.seriesPerThing.delete(prefix);
    this.overLimit.delete(prefix);
    this.store.forgetThing(workspaceId, thingName);
  }

  stats(): DetectionStats {
    return { ...this.counts, liveSeries: this.live.size, unsavedSeries: this.unsaved.size };
  }

  private admitNewSeries(id: SeriesId): boolean {
    const thing = thingKeyPrefix(id.workspaceId, id.thingName);
    const count = this.seriesPerThing.get(thing) ?? this.store.countSeries(id.workspaceId, id.thingName);
    if (count >= this.options.maxSeriesPerThing) {
      this.counts.refused += 1;
      if (!this.overLimit.has(thing)) {
        this.overLimit.add(thing);
        this.logger.warn({ workspaceId: id.workspaceId, thingName: id.thingName, limit: this.options.maxSeriesPerThing }, 'thing has reached its series limit: points of new fields are not analysed');
      }
      this.seriesPerThing.set(thing, count);
      return false;
    }
    this.seriesPerThing.set(thing, count + 1);
    return true;
  }

  private fold(point: SeriesPoint, anomalies: Anomaly[]): void {
    const settings = this.settings.effectiveFor(point.series);
    if (!settings.enabled) return;
    const key = seriesKey(point.series);
    let series = this.live.get(key) ?? this.open(point.series);
    if (!series) return;
    if (series.detectorName !== settings.detector) {
      // Another detector learns from scratch; the last epoch stays, so a replay still is not fed twice.
      series = { ...series, detectorName: settings.detector, detector: openDetector(settings.detector) };
    }
    this.live.set(key, series);
    if (point.epoch <= series.lastEpoch) {
      this.counts.skipped += 1;
      return;
    }
    this.unsaved.set(key, series);
    const score = clampScore(series.detector.update(point.epoch, point.value));
    series.lastEpoch = point.epoch;
    this.counts.points += 1;
    if (score < settings.threshold) return;
    const { workspaceId, thingName, stream, field } = point.series;
    anomalies.push({
      id: newId('anm'),
      workspaceId,
      thingName,
      ...(stream === '' ? {} : { stream }),
      field,
      epoch: point.epoch,
      value: point.value,
      score,
      detector: settings.detector,
    });
  }

  /** The series' saved detector, or a fresh one of the kind its settings name; none past the thing's series limit. */
  private open(id: SeriesId): LiveSeries | undefined {
    const saved = this.store.loadSeries(id);
    if (!saved && !this.admitNewSeries(id)) return undefined;
    const detectorName = saved?.detector ?? this.settings.effectiveFor(id).detector;
    return { id, detectorName, detector: openDetector(detectorName, saved?.snapshot), lastEpoch: saved?.lastEpoch ?? Number.NEGATIVE_INFINITY };
  }
}

function stateOf(series: LiveSeries): { id: SeriesId; state: SeriesState } {
  return { id: series.id, state: { detector: series.detectorName, snapshot: series.detector.snapshot(), lastEpoch: series.lastEpoch } };
}

/** The port promises [0, 1]; a detector's NaN must not become an anomaly or a stored NaN. */
function clampScore(score: number): number {
  return Number.isNaN(score) ? 0 : Math.min(1, Math.max(0, score));
}
