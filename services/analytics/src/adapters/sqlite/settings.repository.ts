import type { SqliteDatabase, SqliteStatement } from '@citus/sqlite';
import type { SettingsRepository } from '../../domain/detection-store.port.js';
import type { SeriesOverrides, WorkspaceSettings } from '../../domain/detection-settings.rules.js';
import type { SeriesId } from '../../domain/series.model.js';

interface OverridesRow {
  workspaceId: string;
  thingName: string;
  stream: string;
  field: string;
  detector: string | null;
  threshold: number | null;
  enabled: number | null;
}

/** Detection settings in `analytics.db`; the service keeps them all in memory, so reads load everything once. */
export class SqliteSettingsRepository implements SettingsRepository {
  private readonly statements: Record<'workspaces' | 'series' | 'saveWorkspace' | 'saveSeries' | 'deleteSeries' | 'forgetThing', SqliteStatement>;

  constructor(db: SqliteDatabase) {
    this.statements = {
      workspaces: db.prepare('SELECT workspace_id AS workspaceId, detector, threshold, enabled FROM analytics_workspace_settings'),
      series: db.prepare(
        'SELECT workspace_id AS workspaceId, thing_name AS thingName, stream, field, detector, threshold, enabled FROM analytics_series_settings',
      ),
      saveWorkspace: db.prepare(
        `INSERT INTO analytics_workspace_settings (workspace_id, detector, threshold, enabled, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id) DO UPDATE SET detector = excluded.detector, threshold = excluded.threshold,
           enabled = excluded.enabled, updated_at = excluded.updated_at`,
      ),
      saveSeries: db.prepare(
        `INSERT INTO analytics_series_settings (workspace_id, thing_name, stream, field, detector, threshold, enabled, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, thing_name, stream, field) DO UPDATE SET detector = excluded.detector,
           threshold = excluded.threshold, enabled = excluded.enabled, updated_at = excluded.updated_at`,
      ),
      deleteSeries: db.prepare('DELETE FROM analytics_series_settings WHERE workspace_id = ? AND thing_name = ? AND stream = ? AND field = ?'),
      forgetThing: db.prepare('DELETE FROM analytics_series_settings WHERE workspace_id = ? AND thing_name = ?'),
    };
  }

  allWorkspaceSettings(): Array<{ workspaceId: string; settings: WorkspaceSettings }> {
    const rows = this.statements.workspaces.all() as Array<{ workspaceId: string; detector: string; threshold: number | null; enabled: number }>;
    return rows.map(({ workspaceId, detector, threshold, enabled }) => ({ workspaceId, settings: { detector, threshold, enabled: enabled === 1 } }));
  }

  allSeriesOverrides(): Array<{ id: SeriesId; overrides: SeriesOverrides }> {
    return (this.statements.series.all() as OverridesRow[]).map((row) => ({
      id: { workspaceId: row.workspaceId, thingName: row.thingName, stream: row.stream, field: row.field },
      overrides: {
        ...(row.detector === null ? {} : { detector: row.detector }),
        ...(row.threshold === null ? {} : { threshold: row.threshold }),
        ...(row.enabled === null ? {} : { enabled: row.enabled === 1 }),
      },
    }));
  }

  saveWorkspaceSettings(workspaceId: string, settings: WorkspaceSettings): void {
    this.statements.saveWorkspace.run(workspaceId, settings.detector, settings.threshold, settings.enabled ? 1 : 0, Date.now());
  }

  saveSeriesOverrides(id: SeriesId, overrides: SeriesOverrides): void {
    const enabled = overrides.enabled === undefined ? null : overrides.enabled ? 1 : 0;
    this.statements.saveSeries.run(id.workspaceId, id.thingName, id.stream, id.field, overrides.detector ?? null, overrides.threshold ?? null, enabled, Date.now());
  }

  deleteSeriesOverrides(id: SeriesId): void {
    this.statements.deleteSeries.run(id.workspaceId, id.thingName, id.stream, id.field);
  }

  forgetThing(workspaceId: string, thingName: string): void {
    this.statements.forgetThing.run(workspaceId, thingName);
  }
}
