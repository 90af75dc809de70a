import { AnalyserRequest, AnalyserRun } from '@citus/contracts';
import type { Logger } from '@citus/kit';
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

// A row that no longer reads as today's contract is a fault of the store (an Error, so a 500), never the caller's 400.
function toAnalyser(row: AnalyserRow): StoredAnalyser {
  const definition = AnalyserRequest.safeParse(JSON.parse(row.definition));
  const lastRun = row.last_run === null ? null : AnalyserRun.safeParse(JSON.parse(row.last_run));
  if (!definition.success) throw new Error(`stored analyser ${row.analyser_id} does not parse: ${definition.error.issues[0]?.message ?? 'invalid'}`);
  if (lastRun && !lastRun.success) throw new Error(`stored run of analyser ${row.analyser_id} does not parse: ${lastRun.error.issues[0]?.message ?? 'invalid'}`);
  return {
    id: row.analyser_id,
    workspaceId: row.workspace_id,
    definition: definition.data,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastRun: lastRun && lastRun.data,
  };
}

const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/**
 * Analysers in `alerts.db`; every statement names the workspace. The enabled analysers are
 * checked on every telemetry batch, so they are kept per workspace once read, until an analyser
 * of the workspace is inserted, replaced or deleted (all through here). Kept analysers carry the
 * last run they were read with: the runner uses only their definitions.
 */
export class SqliteAnalyserRepository implements AnalyserRepository {
  private readonly statements;
  private readonly enabledByWorkspace = new Map<string, StoredAnalyser[]>();

  constructor(
    db: SqliteDatabase,
    private readonly logger: Logger,
  ) {
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
    this.enabledByWorkspace.delete(workspaceId);
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
    this.enabledByWorkspace.delete(workspaceId);
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
    this.enabledByWorkspace.delete(workspaceId);
    return this.statements.delete.run(workspaceId, analyserId).changes > 0;
  }

  /** A row that no longer parses is left out (and logged), so it cannot stop the workspace's other analysers. */
  async listEnabled(workspaceId: string): Promise<StoredAnalyser[]> {
    const kept = this.enabledByWorkspace.get(workspaceId);
    if (kept) return kept;
    const analysers: StoredAnalyser[] = [];
    for (const row of this.statements.enabled.all(workspaceId) as AnalyserRow[]) {
      try {
        analysers.push(toAnalyser(row));
      } catch (error) {
        this.logger.error({ err: error, workspaceId, analyserId: row.analyser_id }, 'stored analyser skipped');
      }
    }
    this.enabledByWorkspace.set(workspaceId, analysers);
    return analysers;
  }

  async recordRun(workspaceId: string, analyserId: string, run: AnalyserRun): Promise<void> {
    this.statements.run.run(JSON.stringify(run), workspaceId, analyserId);
  }
}
