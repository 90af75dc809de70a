import type { AnomalySettings, SeriesKey, SeriesSettings, SeriesSettingsUpdate } from '@citus/contracts';
import { badRequest, notFound } from '@citus/kit';
import type { SettingsRepository, ThingDirectory } from '../domain/detection-store.port.js';
import {
  defaultWorkspaceSettings,
  effectiveSettings,
  type EffectiveSettings,
  type SeriesOverrides,
  type WorkspaceSettings,
} from '../domain/detection-settings.rules.js';
import { DETECTOR_NAMES, detectorKind } from '../domain/detectors/detector.registry.js';
import { seriesKey, thingKeyPrefix, type SeriesId } from '../domain/series.model.js';

/**
 * Detection settings per workspace and per series. All of them are held in memory (people set
 * them, so they are few) and written through: the detection loop asks for a series' settings at
 * every point without touching the file.
 */
export class DetectionSettingsService {
  private readonly workspaces = new Map<string, WorkspaceSettings>();
  private readonly overrides = new Map<string, SeriesOverrides>();
  private readonly listeners: Array<() => void> = [];

  constructor(
    private readonly repository: SettingsRepository,
    private readonly things: ThingDirectory,
  ) {
    this.reload();
  }

  /** Reads every setting again (another thread changed them). */
  reload(): void {
    this.workspaces.clear();
    this.overrides.clear();
    for (const { workspaceId, settings } of this.repository.allWorkspaceSettings()) this.workspaces.set(workspaceId, settings);
    for (const { id, overrides } of this.repository.allSeriesOverrides()) this.overrides.set(seriesKey(id), overrides);
  }

  /** Told after each change made here is saved. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** What the series is scored with now. */
  effectiveFor(id: SeriesId): EffectiveSettings {
    return effectiveSettings(this.workspace(id.workspaceId), this.overrides.get(seriesKey(id)));
  }

  workspace(workspaceId: string): WorkspaceSettings {
    return this.workspaces.get(workspaceId) ?? defaultWorkspaceSettings();
  }

  setWorkspace(workspaceId: string, settings: AnomalySettings): WorkspaceSettings {
    requireKnownDetector(settings.detector);
    const saved = { detector: settings.detector, threshold: settings.threshold, enabled: settings.enabled };
    this.repository.saveWorkspaceSettings(workspaceId, saved);
    this.workspaces.set(workspaceId, saved);
    this.changed();
    return saved;
  }

  async series(workspaceId: string, key: SeriesKey): Promise<SeriesSettings> {
    const id = await this.ownedSeries(workspaceId, key);
    return this.view(id, key);
  }

  async setSeries(workspaceId: string, key: SeriesKey, update: SeriesSettingsUpdate): Promise<SeriesSettings> {
    const id = await this.ownedSeries(workspaceId, key);
    if (update.detector !== undefined) requireKnownDetector(update.detector);
    const overrides: SeriesOverrides = {
      ...(update.detector === undefined ? {} : { detector: update.detector }),
      ...(update.threshold === undefined ? {} : { threshold: update.threshold }),
      ...(update.enabled === undefined ? {} : { enabled: update.enabled }),
    };
    this.repository.saveSeriesOverrides(id, overrides);
    this.overrides.set(seriesKey(id), overrides);
    this.changed();
    return this.view(id, key);
  }

  async deleteSeries(workspaceId: string, key: SeriesKey): Promise<void> {
    const id = await this.ownedSeries(workspaceId, key);
    this.repository.deleteSeriesOverrides(id);
    this.overrides.delete(seriesKey(id));
    this.changed();
  }

  forgetThing(workspaceId: string, thingName: string): void {
    this.repository.forgetThing(workspaceId, thingName);
    const prefix = thingKeyPrefix(workspaceId, thingName);
    for (const key of [...this.overrides.keys()]) if (key.startsWith(prefix)) this.overrides.delete(key);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** A series of a thing of the workspace; another workspace's thing is "not found", like none. */
  private async ownedSeries(workspaceId: string, key: SeriesKey): Promise<SeriesId> {
    if ((await this.things.workspaceOfThing(key.thingName)) !== workspaceId) throw notFound('thing');
    return { workspaceId, thingName: key.thingName, stream: key.stream ?? '', field: key.field };
  }

  private view(id: SeriesId, key: SeriesKey): SeriesSettings {
    const { thingName, field } = key;
    return {
      thingName,
      ...(key.stream === undefined ? {} : { stream: key.stream }),
      field,
      overrides: this.overrides.get(seriesKey(id)) ?? {},
      effective: this.effectiveFor(id),
    };
  }
}

/** A zod-shaped issue, so an unknown detector reads like any other invalid field. */
function requireKnownDetector(name: string): void {
  if (detectorKind(name)) return;
  throw badRequest('invalid request', [{ code: 'custom', path: ['detector'], message: `unknown detector; one of ${DETECTOR_NAMES.join(', ')}` }]);
}
