import { AnalyserRequest, AnalyserRun } from '@citus/contracts';
import type { SqliteDatabase } from '@citus/sqlite';
import type { AnalyserRepository, StoredAnalyser } from '../../domain/analyser.model.js';

interface AnalyserRow {
  analyser_id: string;
  workspace_id: string;
  definition: string;
  created_at: number;
  updated_at: number;
  last_run: string | null;
}

const toAnalyser = (row: AnalyserRow): StoredAnalyser => ({
  id: row.analyser_id,
  workspaceId: row.workspace_id,
  definition: AnalyserRequest.parse(JSON.parse(row.definition)),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  lastRun: row.last_run === null ? null : AnalyserRun.parse(JSON.parse(row.last_run)),
});

const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/** Analysers in `alerts.db`; every statement names the workspace. */
export class SqliteAnalyserRepository implements AnalyserRepository {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare(`INSERT INTO analysers (analyser_id, workspace_id, name, definition, created_at, updated_at, last_run)
        VALUES (?, ?, ?, ?, ?, ?, NULL)`),
      replace: db.prepare('UPDATE analysers SET name = ?, definition = ?, updated_at = ? WHERE workspace_id = ? AND analyser_id = ?'),
      find: db.prepare('SELECT * FROM analysers WHERE workspace_id = ? AND analyser_id = ?'),
      list: db.prepare('SELECT * FROM analysers WHERE workspace_id = ? ORDER BY name'),
      delete: db.prepare('DELETE FROM analysers WHERE workspace_id = ? AND analyser_id = ?'),
      enabled: db.prepare(`SELECT * FROM analysers WHERE workspace_id = ? AND json_extract(definition, '$.enabled') = 1`),
      run: db.prepare('UPDATE analysers SET last_run = ? WHERE workspace_id = ? AND analyser_id = ?'),
    };
  }

  async insert(analyser: StoredAnalyser): Promise<'inserted' | 'conflict'> {
    const { id, workspaceId, definition, createdAt, updatedAt } = analyser;
    try {
      this.statements.insert.run(id, workspaceId, definition.name, JSON.stringify(definition), createdAt, updatedAt);
      return 'inserted';
    } catch (error) {
      if (isUniqueViolation(error)) return 'conflict';
      throw error;
    }
  }

  async replace(analyser: Omit<StoredAnalyser, 'createdAt' | 'lastRun'>): Promise<'replaced' | 'missing' | 'conflict'> {
    const { id, workspaceId, definition, updatedAt } = analyser;
    try {
      const { changes } = this.statements.replace.run(definition.name, JSON.stringify(definition), updatedAt, workspaceId, id);
      return changes > 0 ? 'replaced' : 'missing';
    } catch (error) {
      if (isUniqueViolation(error)) return 'conflict';
      throw error;
    }
  }

  async find(workspaceId: string, analyserId: string): Promise<StoredAnalyser | undefined> {
    const row = this.statements.find.get(workspaceId, analyserId) as AnalyserRow | undefined;
    return row && toAnalyser(row);
  }

  async list(workspaceId: string): Promise<StoredAnalyser[]> {
    return (this.statements.list.all(workspaceId) as AnalyserRow[]).map(toAnalyser);
  }

  async delete(workspaceId: string, analyserId: string): Promise<boolean> {
    return this.statements.delete.run(workspaceId, analyserId).changes > 0;
  }

  async listEnabled(workspaceId: string): Promise<StoredAnalyser[]> {
    return (this.statements.enabled.all(workspaceId) as AnalyserRow[]).map(toAnalyser);
  }

  async recordRun(workspaceId: string, analyserId: string, run: AnalyserRun): Promise<void> {
    this.statements.run.run(JSON.stringify(run), workspaceId, analyserId);
  }
}
