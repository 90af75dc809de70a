import type { Anomaly } from '@citus/contracts';
import { newId, type Logger } from '@citus/kit';
import type { DetectionStore } from '../domain/detection-store.port.js';
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
  liveSeries: number;
}

export interface AnomalyDetectionOptions {
  /** Detectors kept in memory; the least recently used beyond it are reopened from their snapshots. */
  maxLiveSeries: number;
  onAnomaly: (anomaly: Anomaly) => void;
}

/**
 * Runs every numeric series of the telemetry change feed through its detector, in arrival order,
 * each point once. A batch's new detector states and anomalies are committed together before
 * `handle` resolves (and so before the feed saves its checkpoint); a replayed batch finds its
 * points already folded in (at or before the series' saved last epoch) and skips them. Anomalies
 * are announced only once committed.
 */
export class AnomalyDetectionService {
  private readonly live: LruCache<LiveSeries>;
  private readonly counts = { points: 0, skipped: 0, anomalies: 0 };

  constructor(
    private readonly store: DetectionStore,
    private readonly settings: DetectionSettingsService,
    private readonly logger: Logger,
    private readonly options: AnomalyDetectionOptions,
  ) {
    this.live = new LruCache(options.maxLiveSeries);
  }

  handle(messages: readonly StoredMessage[]): Promise<void> {
    // Series touched by this batch stay out of the LRU until committed: evicting one then would lose its state.
    const touched = new Map<string, LiveSeries>();
    const anomalies: Anomaly[] = [];
    for (const message of messages) {
      for (const point of pointsOf(message)) this.fold(point, touched, anomalies);
    }
    if (touched.size === 0) return Promise.resolve();
    try {
      this.store.commit({
        series: [...touched.values()].map((series) => ({
          id: series.id,
          state: { detector: series.detectorName, snapshot: series.detector.snapshot(), lastEpoch: series.lastEpoch },
        })),
        anomalies,
      });
    } catch (error) {
      // The detectors in memory are ahead of the file now: reopened from it, the retry feeds them again.
      for (const key of touched.keys()) this.live.delete(key);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    for (const [key, series] of touched) this.live.set(key, series);
    this.counts.anomalies += anomalies.length;
    for (const anomaly of anomalies) this.options.onAnomaly(anomaly);
    if (anomalies.length > 0) this.logger.debug({ anomalies: anomalies.length, series: touched.size }, 'anomalies detected');
    return Promise.resolve();
  }

  /** A deleted thing's detectors go; should the name come back, its series start afresh. */
  forgetThing(workspaceId: string, thingName: string): void {
    const prefix = thingKeyPrefix(workspaceId, thingName);
    this.live.deleteWhere((key) => key.startsWith(prefix));
    this.store.forgetThing(workspaceId, thingName);
  }

  stats(): DetectionStats {
    return { ...this.counts, liveSeries: this.live.size };
  }

  private fold(point: SeriesPoint, touched: Map<string, LiveSeries>, anomalies: Anomaly[]): void {
    const settings = this.settings.effectiveFor(point.series);
    if (!settings.enabled) return;
    const key = seriesKey(point.series);
    let series = touched.get(key) ?? this.live.get(key) ?? this.open(point.series);
    if (series.detectorName !== settings.detector) {
      // Another detector learns from scratch; the last epoch stays, so a replay still is not fed twice.
      series = { ...series, detectorName: settings.detector, detector: openDetector(settings.detector) };
    }
    touched.set(key, series);
    if (point.epoch <= series.lastEpoch) {
      this.counts.skipped += 1;
      return;
    }
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

  /** The series' saved detector, or a fresh one of the kind its settings name. */
  private open(id: SeriesId): LiveSeries {
    const saved = this.store.loadSeries(id);
    const detectorName = saved?.detector ?? this.settings.effectiveFor(id).detector;
    return { id, detectorName, detector: openDetector(detectorName, saved?.snapshot), lastEpoch: saved?.lastEpoch ?? Number.NEGATIVE_INFINITY };
  }
}

/** The port promises [0, 1]; a detector's NaN must not become an anomaly or a stored NaN. */
function clampScore(score: number): number {
  return Number.isNaN(score) ? 0 : Math.min(1, Math.max(0, score));
}
