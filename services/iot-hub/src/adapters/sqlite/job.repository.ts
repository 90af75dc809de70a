import { JobExecutionStatus, type JobDocument, type JobEventType, type JobReasonCode, type JobStatus, type StatusDetails } from '@citus/contracts';
import type { Migration, SqliteDatabase } from '@citus/sqlite';
import type { ExecutionRecord, JobEventRecord, JobRecord, JobRepository, RolloutRunState, RolloutSettings, TargetState } from '../../domain/jobs/job.model.js';

const EXECUTION_STATUSES = JobExecutionStatus.options;

export const JOB_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE jobs (
        workspace_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        document TEXT NOT NULL,
        description TEXT,
        status TEXT NOT NULL,
        -- JSON; rollout and abort configs (OTA) will sit beside it.
        timeout_config TEXT,
        force_canceled INTEGER NOT NULL DEFAULT 0,
        comment TEXT,
        created_at INTEGER NOT NULL,
        last_updated_at INTEGER NOT NULL,
        completed_at INTEGER,
        PRIMARY KEY (workspace_id, job_id)
      );
      CREATE INDEX jobs_by_age ON jobs (workspace_id, created_at);
      CREATE TABLE job_executions (
        workspace_id TEXT NOT NULL,
        thing_name TEXT NOT NULL,
        job_id TEXT NOT NULL,
        execution_number INTEGER NOT NULL,
        -- Creation order, which orders a thing's pending executions.
        seq INTEGER NOT NULL,
        status TEXT NOT NULL,
        status_details TEXT NOT NULL,
        queued_at INTEGER NOT NULL,
        started_at INTEGER,
        last_updated_at INTEGER NOT NULL,
        version_number INTEGER NOT NULL,
        step_deadline INTEGER,
        in_progress_deadline INTEGER,
        -- The earlier of the two deadlines, for the sweeper.
        timeout_at INTEGER,
        PRIMARY KEY (workspace_id, thing_name, job_id, execution_number)
      ) WITHOUT ROWID;
      CREATE INDEX job_executions_pending ON job_executions (workspace_id, thing_name, seq)
        WHERE status IN ('QUEUED', 'IN_PROGRESS');
      CREATE INDEX job_executions_by_job ON job_executions (workspace_id, job_id, status);
      CREATE INDEX job_executions_due ON job_executions (timeout_at) WHERE timeout_at IS NOT NULL;
      CREATE TABLE job_sequence (id INTEGER PRIMARY KEY CHECK (id = 1), next INTEGER NOT NULL);
      INSERT INTO job_sequence (id, next) VALUES (1, 1);`,
  },
  {
    version: 2,
    sql: `
      -- JSON: the rollout as asked (rate, abort criteria, start time, health gate), and its running state.
      ALTER TABLE jobs ADD COLUMN rollout TEXT;
      ALTER TABLE jobs ADD COLUMN rollout_state TEXT;
      ALTER TABLE jobs ADD COLUMN reason_code TEXT;
      -- JSON: the thing groups whose things were made targets.
      ALTER TABLE jobs ADD COLUMN thing_groups TEXT;
      CREATE INDEX jobs_rolling_out ON jobs (status) WHERE rollout IS NOT NULL AND status IN ('SCHEDULED', 'IN_PROGRESS');
      -- A rolled-out job's targets: WAITING until told (then RELEASED, with an execution), CANCELED with
      -- the job, or REMOVED with the thing.
      CREATE TABLE job_targets (
        workspace_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        thing_name TEXT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (workspace_id, job_id, position)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX job_targets_by_thing ON job_targets (workspace_id, thing_name, job_id);
      CREATE INDEX job_targets_waiting ON job_targets (workspace_id, job_id, position) WHERE state = 'WAITING';
      -- A job's history: its rollout's steps and its executions' changes of status.
      CREATE TABLE job_events (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        thing_name TEXT,
        status TEXT,
        reason_code TEXT,
        detail TEXT
      );
      CREATE INDEX job_events_of_job ON job_events (workspace_id, job_id, sequence);`,
  },
];

interface JobRow {
  workspace_id: string;
  job_id: string;
  document: string;
  description: string | null;
  status: string;
  timeout_config: string | null;
  rollout: string | null;
  rollout_state: string | null;
  reason_code: string | null;
  thing_groups: string | null;
  force_canceled: number;
  comment: string | null;
  created_at: number;
  last_updated_at: number;
  completed_at: number | null;
}

interface EventRow {
  sequence: number;
  workspace_id: string;
  job_id: string;
  at: number;
  type: string;
  thing_name: string | null;
  status: string | null;
  reason_code: string | null;
  detail: string | null;
}

interface ExecutionRow {
  workspace_id: string;
  thing_name: string;
  job_id: string;
  execution_number: number;
  status: string;
  status_details: string;
  queued_at: number;
  started_at: number | null;
  last_updated_at: number;
  version_number: number;
  step_deadline: number | null;
  in_progress_deadline: number | null;
}

const EXECUTION_COLUMNS = `workspace_id, thing_name, job_id, execution_number, status, status_details, queued_at, started_at,
  last_updated_at, version_number, step_deadline, in_progress_deadline`;

function toJob(row: JobRow): JobRecord {
  return {
    workspaceId: row.workspace_id,
    jobId: row.job_id,
    document: JSON.parse(row.document) as JobDocument,
    ...(row.description === null ? {} : { description: row.description }),
    status: row.status as JobStatus,
    ...(row.timeout_config === null ? {} : { timeoutConfig: JSON.parse(row.timeout_config) as JobRecord['timeoutConfig'] }),
    ...(row.thing_groups === null ? {} : { thingGroups: JSON.parse(row.thing_groups) as string[] }),
    ...(row.rollout === null ? {} : { rollout: JSON.parse(row.rollout) as RolloutSettings }),
    ...(row.rollout_state === null ? {} : { rolloutState: JSON.parse(row.rollout_state) as RolloutRunState }),
    forceCanceled: row.force_canceled === 1,
    ...(row.comment === null ? {} : { comment: row.comment }),
    ...(row.reason_code === null ? {} : { reasonCode: row.reason_code as JobReasonCode }),
    createdAt: row.created_at,
    lastUpdatedAt: row.last_updated_at,
    ...(row.completed_at === null ? {} : { completedAt: row.completed_at }),
  };
}

function toExecution(row: ExecutionRow): ExecutionRecord {
  return {
    workspaceId: row.workspace_id,
    jobId: row.job_id,
    thingName: row.thing_name,
    executionNumber: row.execution_number,
    status: row.status as JobExecutionStatus,
    statusDetails: JSON.parse(row.status_details) as StatusDetails,
    queuedAt: row.queued_at,
    ...(row.started_at === null ? {} : { startedAt: row.started_at }),
    lastUpdatedAt: row.last_updated_at,
    versionNumber: row.version_number,
    ...(row.step_deadline === null ? {} : { stepDeadline: row.step_deadline }),
    ...(row.in_progress_deadline === null ? {} : { inProgressDeadline: row.in_progress_deadline }),
  };
}

function jobParams(job: JobRecord) {
  return {
    workspaceId: job.workspaceId,
    jobId: job.jobId,
    document: JSON.stringify(job.document),
    description: job.description ?? null,
    status: job.status,
    timeoutConfig: job.timeoutConfig ? JSON.stringify(job.timeoutConfig) : null,
    thingGroups: job.thingGroups ? JSON.stringify(job.thingGroups) : null,
    rollout: job.rollout ? JSON.stringify(job.rollout) : null,
    rolloutState: job.rolloutState ? JSON.stringify(job.rolloutState) : null,
    forceCanceled: job.forceCanceled ? 1 : 0,
    comment: job.comment ?? null,
    reasonCode: job.reasonCode ?? null,
    createdAt: job.createdAt,
    lastUpdatedAt: job.lastUpdatedAt,
    completedAt: job.completedAt ?? null,
  };
}

function executionParams(execution: ExecutionRecord) {
  const deadlines = [execution.stepDeadline, execution.inProgressDeadline].filter((deadline): deadline is number => deadline !== undefined);
  return {
    workspaceId: execution.workspaceId,
    thingName: execution.thingName,
    jobId: execution.jobId,
    executionNumber: execution.executionNumber,
    status: execution.status,
    statusDetails: JSON.stringify(execution.statusDetails),
    queuedAt: execution.queuedAt,
    startedAt: execution.startedAt ?? null,
    lastUpdatedAt: execution.lastUpdatedAt,
    versionNumber: execution.versionNumber,
    stepDeadline: execution.stepDeadline ?? null,
    inProgressDeadline: execution.inProgressDeadline ?? null,
    timeoutAt: deadlines.length > 0 ? Math.min(...deadlines) : null,
  };
}

/** Jobs and executions in `jobs.db`; every query is scoped to a workspace except the sweeper's. */
export class SqliteJobRepository implements JobRepository {
  private readonly sql;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = {
      insertJob: db.prepare(
        `INSERT OR IGNORE INTO jobs (workspace_id, job_id, document, description, status, timeout_config, thing_groups, rollout,
           rollout_state, force_canceled, comment, reason_code, created_at, last_updated_at, completed_at)
         VALUES (@workspaceId, @jobId, @document, @description, @status, @timeoutConfig, @thingGroups, @rollout,
           @rolloutState, @forceCanceled, @comment, @reasonCode, @createdAt, @lastUpdatedAt, @completedAt)`,
      ),
      updateJob: db.prepare(
        `UPDATE jobs SET status = @status, rollout_state = @rolloutState, force_canceled = @forceCanceled, comment = @comment,
           reason_code = @reasonCode, last_updated_at = @lastUpdatedAt, completed_at = @completedAt
         WHERE workspace_id = @workspaceId AND job_id = @jobId`,
      ),
      getJob: db.prepare('SELECT * FROM jobs WHERE workspace_id = ? AND job_id = ?'),
      listJobs: db.prepare('SELECT * FROM jobs WHERE workspace_id = ? ORDER BY created_at DESC, job_id'),
      nextSeq: db.prepare('UPDATE job_sequence SET next = next + 1 WHERE id = 1 RETURNING next').pluck(),
      insertExecution: db.prepare(
        `INSERT INTO job_executions (${EXECUTION_COLUMNS}, seq, timeout_at)
         VALUES (@workspaceId, @thingName, @jobId, @executionNumber, @status, @statusDetails, @queuedAt, @startedAt,
           @lastUpdatedAt, @versionNumber, @stepDeadline, @inProgressDeadline, @seq, @timeoutAt)`,
      ),
      saveExecution: db.prepare(
        `UPDATE job_executions SET status = @status, status_details = @statusDetails, started_at = @startedAt,
           last_updated_at = @lastUpdatedAt, version_number = @versionNumber, step_deadline = @stepDeadline,
           in_progress_deadline = @inProgressDeadline, timeout_at = @timeoutAt
         WHERE workspace_id = @workspaceId AND thing_name = @thingName AND job_id = @jobId AND execution_number = @executionNumber`,
      ),
      getExecution: db.prepare(
        `SELECT ${EXECUTION_COLUMNS} FROM job_executions WHERE workspace_id = ? AND thing_name = ? AND job_id = ?
         ORDER BY execution_number DESC LIMIT 1`,
      ),
      getNumberedExecution: db.prepare(
        `SELECT ${EXECUTION_COLUMNS} FROM job_executions
         WHERE workspace_id = ? AND thing_name = ? AND job_id = ? AND execution_number = ?`,
      ),
      pending: db.prepare(
        `SELECT ${EXECUTION_COLUMNS} FROM job_executions
         WHERE workspace_id = ? AND thing_name = ? AND status IN ('QUEUED', 'IN_PROGRESS') ORDER BY seq`,
      ),
      ofJob: db.prepare(`SELECT ${EXECUTION_COLUMNS} FROM job_executions WHERE workspace_id = ? AND job_id = ? ORDER BY seq`),
      countPendingOfJob: db
        .prepare(`SELECT count(*) FROM job_executions WHERE workspace_id = ? AND job_id = ? AND status IN ('QUEUED', 'IN_PROGRESS')`)
        .pluck(),
      executionCounts: db.prepare('SELECT status, count(*) AS n FROM job_executions WHERE workspace_id = ? AND job_id = ? GROUP BY status'),
      insertTarget: db.prepare(`INSERT INTO job_targets (workspace_id, job_id, position, thing_name, state) VALUES (?, ?, ?, ?, 'WAITING')`),
      waitingTargets: db
        .prepare(`SELECT thing_name FROM job_targets WHERE workspace_id = ? AND job_id = ? AND state = 'WAITING' ORDER BY position LIMIT ?`)
        .pluck(),
      setTargetState: db.prepare('UPDATE job_targets SET state = ? WHERE workspace_id = ? AND job_id = ? AND thing_name = ?'),
      cancelWaiting: db.prepare(`UPDATE job_targets SET state = 'CANCELED' WHERE workspace_id = ? AND job_id = ? AND state = 'WAITING'`),
      targetsOfJob: db.prepare('SELECT thing_name AS thingName, state FROM job_targets WHERE workspace_id = ? AND job_id = ? ORDER BY position'),
      cancelWaitingOfThing: db
        .prepare(`UPDATE job_targets SET state = 'REMOVED' WHERE workspace_id = ? AND thing_name = ? AND state = 'WAITING' RETURNING job_id`)
        .pluck(),
      appendEvent: db.prepare(
        `INSERT INTO job_events (workspace_id, job_id, at, type, thing_name, status, reason_code, detail)
         VALUES (@workspaceId, @jobId, @at, @type, @thingName, @status, @reasonCode, @detail)`,
      ),
      eventsOfJob: db.prepare('SELECT * FROM job_events WHERE workspace_id = ? AND job_id = ? AND sequence > ? ORDER BY sequence LIMIT ?'),
      activeRollouts: db.prepare(`SELECT * FROM jobs WHERE rollout IS NOT NULL AND status IN ('SCHEDULED', 'IN_PROGRESS')`),
      due: db.prepare(
        `SELECT ${EXECUTION_COLUMNS} FROM job_executions WHERE timeout_at IS NOT NULL AND timeout_at <= ?
         ORDER BY timeout_at LIMIT ?`,
      ),
    };
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  insertJob(job: JobRecord): boolean {
    return this.sql.insertJob.run(jobParams(job)).changes === 1;
  }


  updateJob(job: JobRecord): void {
    this.sql.updateJob.run(jobParams(job));
  }

  getJob(workspaceId: string, jobId: string): JobRecord | undefined {
    const row = this.sql.getJob.get(workspaceId, jobId) as JobRow | undefined;
    return row && toJob(row);
  }

  listJobs(workspaceId: string): JobRecord[] {
    return (this.sql.listJobs.all(workspaceId) as JobRow[]).map(toJob);
  }

  getExecution(workspaceId: string, thingName: string, jobId: string, executionNumber?: number): ExecutionRecord | undefined {
    const row = (
      executionNumber === undefined
        ? this.sql.getExecution.get(workspaceId, thingName, jobId)
        : this.sql.getNumberedExecution.get(workspaceId, thingName, jobId, executionNumber)
    ) as ExecutionRow | undefined;
    return row && toExecution(row);
  }

  pendingExecutions(workspaceId: string, thingName: string): ExecutionRecord[] {
    return (this.sql.pending.all(workspaceId, thingName) as ExecutionRow[]).map(toExecution);
  }

  executionsOfJob(workspaceId: string, jobId: string): ExecutionRecord[] {
    return (this.sql.ofJob.all(workspaceId, jobId) as ExecutionRow[]).map(toExecution);
  }

  countPendingOfJob(workspaceId: string, jobId: string): number {
    return this.sql.countPendingOfJob.get(workspaceId, jobId) as number;
  }

  saveExecution(execution: ExecutionRecord): void {
    const params = executionParams(execution);
    if (this.sql.saveExecution.run(params).changes === 1) return;
    this.transaction(() => this.sql.insertExecution.run({ ...params, seq: this.sql.nextSeq.get() as number }));
  }

  dueExecutions(now: number, limit: number): ExecutionRecord[] {
    return (this.sql.due.all(now, limit) as ExecutionRow[]).map(toExecution);
  }

  executionCounts(workspaceId: string, jobId: string): Record<JobExecutionStatus, number> {
    const counts = Object.fromEntries(EXECUTION_STATUSES.map((status) => [status, 0])) as Record<JobExecutionStatus, number>;
    for (const row of this.sql.executionCounts.all(workspaceId, jobId) as Array<{ status: JobExecutionStatus; n: number }>) counts[row.status] = row.n;
    return counts;
  }

  insertTargets(workspaceId: string, jobId: string, thingNames: readonly string[]): void {
    this.transaction(() => thingNames.forEach((thingName, position) => this.sql.insertTarget.run(workspaceId, jobId, position, thingName)));
  }

  waitingTargets(workspaceId: string, jobId: string, limit: number): string[] {
    return this.sql.waitingTargets.all(workspaceId, jobId, limit) as string[];
  }

  setTargetState(workspaceId: string, jobId: string, thingName: string, state: TargetState): void {
    this.sql.setTargetState.run(state, workspaceId, jobId, thingName);
  }

  cancelWaitingTargets(workspaceId: string, jobId: string): number {
    return this.sql.cancelWaiting.run(workspaceId, jobId).changes;
  }

  targetsOfJob(workspaceId: string, jobId: string): Array<{ thingName: string; state: TargetState }> {
    return this.sql.targetsOfJob.all(workspaceId, jobId) as Array<{ thingName: string; state: TargetState }>;
  }

  cancelWaitingOfThing(workspaceId: string, thingName: string): string[] {
    return this.sql.cancelWaitingOfThing.all(workspaceId, thingName) as string[];
  }

  appendEvent(event: JobEventRecord): void {
    this.sql.appendEvent.run({
      workspaceId: event.workspaceId,
      jobId: event.jobId,
      at: event.at,
      type: event.type,
      thingName: event.thingName ?? null,
      status: event.status ?? null,
      reasonCode: event.reasonCode ?? null,
      detail: event.detail ?? null,
    });
  }

  eventsOfJob(workspaceId: string, jobId: string, after: number, limit: number): Array<JobEventRecord & { sequence: number }> {
    return (this.sql.eventsOfJob.all(workspaceId, jobId, after, limit) as EventRow[]).map((row) => ({
      sequence: row.sequence,
      workspaceId: row.workspace_id,
      jobId: row.job_id,
      at: row.at,
      type: row.type as JobEventType,
      ...(row.thing_name === null ? {} : { thingName: row.thing_name }),
      ...(row.status === null ? {} : { status: row.status as JobExecutionStatus }),
      ...(row.reason_code === null ? {} : { reasonCode: row.reason_code as JobReasonCode }),
      ...(row.detail === null ? {} : { detail: row.detail }),
    }));
  }

  activeRollouts(): JobRecord[] {
    return (this.sql.activeRollouts.all() as JobRow[]).map(toJob);
  }
}
