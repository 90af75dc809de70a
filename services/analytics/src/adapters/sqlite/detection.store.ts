import type { Anomaly } from '@citus/contracts';
import type { SqliteDatabase, SqliteStatement } from '@citus/sqlite';
import type { DetectorSnapshot } from '../../domain/detector.port.js';
import type { AnomalyFilter, DetectionCommit, DetectionStore, SeriesState } from '../../domain/detection-store.port.js';
import type { SeriesId } from '../../domain/series.model.js';

interface AnomalyRow {
  id: string;
  workspaceId: string;
  thingName: string;
  stream: string;
  field: string;
  epoch: number;
  value: number;
  score: number;
  detector: string;
}

const ANOMALY_COLUMNS = `id, workspace_id AS workspaceId, thing_name AS thingName, stream, field, epoch, value, score, detector`;

/**
 * Series states and anomalies in `analytics.db`. A batch's writes are one transaction, and the
 * file is opened with `synchronous = full`, so what `commit` returned from survives a crash.
 */
export class SqliteDetectionStore implements DetectionStore {
  private readonly statements: Record<'load' | 'saveSeries' | 'insertAnomaly' | 'forgetSeries' | 'countSeries' | 'countOfField', SqliteStatement>;
  private readonly commitAll: (batch: DetectionCommit) => Anomaly[];

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      load: db.prepare('SELECT detector, snapshot, last_epoch AS lastEpoch FROM analytics_series WHERE workspace_id = ? AND thing_name = ? AND stream = ? AND field = ?'),
      saveSeries: db.prepare(
        `INSERT INTO analytics_series (workspace_id, thing_name, stream, field, detector, snapshot, last_epoch, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, thing_name, stream, field) DO UPDATE SET
           detector = excluded.detector, snapshot = excluded.snapshot, last_epoch = excluded.last_epoch, updated_at = excluded.updated_at`,
      ),
      insertAnomaly: db.prepare(
        `INSERT OR IGNORE INTO anomalies (id, workspace_id, thing_name, stream, field, epoch, value, score, detector, detected_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      forgetSeries: db.prepare('DELETE FROM analytics_series WHERE workspace_id = ? AND thing_name = ?'),
      // On anomalies_thing_newest: a thing's anomalies in a time range.
      countOfField: db.prepare('SELECT count(*) FROM anomalies WHERE workspace_id = ? AND thing_name = ? AND field = ? AND epoch BETWEEN ? AND ?').pluck(),
      countSeries: db.prepare('SELECT COUNT(*) FROM analytics_series WHERE workspace_id = ? AND thing_name = ?').pluck(),
    };
    this.commitAll = db.transaction((batch: DetectionCommit) => {
      const now = Date.now();
      for (const { id, state } of batch.series) {
        this.statements.saveSeries.run(id.workspaceId, id.thingName, id.stream, id.field, state.detector, JSON.stringify(state.snapshot), state.lastEpoch, now);
      }
      return batch.anomalies.filter(
        (a) => this.statements.insertAnomaly.run(a.id, a.workspaceId, a.thingName, a.stream ?? '', a.field, a.epoch, a.value, a.score, a.detector, now).changes === 1,
      );
    });
  }

  loadSeries(id: SeriesId): SeriesState | undefined {
    const row = this.statements.load.get(id.workspaceId, id.thingName, id.stream, id.field) as { detector: string; snapshot: string; lastEpoch: number } | undefined;
    if (!row) return undefined;
    return { detector: row.detector, snapshot: JSON.parse(row.snapshot) as DetectorSnapshot, lastEpoch: row.lastEpoch };
  }

  commit(batch: DetectionCommit): Anomaly[] {
    return this.commitAll(batch);
  }

  countSeries(workspaceId: string, thingName: string): number {
    return this.statements.countSeries.get(workspaceId, thingName) as number;
  }

  listAnomalies(workspaceId: string, filter: AnomalyFilter): Anomaly[] {
    const where = ['workspace_id = ?'];
    const params: unknown[] = [workspaceId];
    const add = (condition: string, ...values: unknown[]) => {
      where.push(condition);
      params.push(...values);
    };
    if (filter.thingName !== undefined) add('thing_name = ?', filter.thingName);
    if (filter.field !== undefined) add('field = ?', filter.field);
    if (filter.from !== undefined) add('epoch >= ?', filter.from);
    if (filter.to !== undefined) add('epoch <= ?', filter.to);
    if (filter.after !== undefined) add('(epoch < ? OR (epoch = ? AND id < ?))', filter.after.epoch, filter.after.epoch, filter.after.id);
    const sql = `SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE ${where.join(' AND ')} ORDER BY epoch DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, filter.limit) as AnomalyRow[];
    return rows.map(toAnomaly);
  }

  countAnomalies(workspaceId: string, thingName: string, range: { from: number; to: number; field: string }): number {
    return this.statements.countOfField.get(workspaceId, thingName, range.field, range.from, range.to) as number;
  }

  forgetThing(workspaceId: string, thingName: string): void {
    this.statements.forgetSeries.run(workspaceId, thingName);
  }
}

function toAnomaly({ stream, ...row }: AnomalyRow): Anomaly {
  return stream === '' ? row : { ...row, stream };
}
