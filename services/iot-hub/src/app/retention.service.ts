import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RetentionSetting, RetentionSweep } from '@citus/contracts';
import type { Logger } from '@citus/kit';

const DAY_MS = 86_400_000;
/** How long the change log keeps a change, whatever the workspace periods: DynamoDB Streams' 24 h. */
export const CHANGE_RETENTION_MS = DAY_MS;

export interface RetentionPeriod {
  workspaceId: string;
  days: number;
}

/** What one deletion transaction did; `resumeAt` is where the next one starts, absent when done. */
export interface ExpiredChunk {
  deleted: number;
  resumeAt?: string;
}

/**
 * Port: the periods and the expired rows. Each delete call is one short transaction of at most
 * `limit` rows, so the sweeper can hand the event loop (and ingest) back between calls.
 */
export interface RetentionRepository {
  period(workspaceId: string): number | null;
  periods(): RetentionPeriod[];
  setPeriod(workspaceId: string, days: number | null, now: number): void;
  deleteExpiredTelemetry(workspaceId: string, before: number, limit: number, resumeAt?: string): ExpiredChunk;
  deleteExpiredDeadLetters(workspaceId: string, before: number, limit: number): number;
  /** Up to `limit` of the oldest change-log rows, those logged before `before`; returns how many. */
  deleteOldChanges(before: number, limit: number): number;
}

export interface RetentionOptions {
  sweepSeconds: number;
  /** Rows per transaction: small enough that a chunk holds the writer for a few ms at most. */
  chunkSize?: number;
  /** Chunks per workspace per sweep, for telemetry and for dead letters; the rest waits for the next sweep. */
  maxChunks?: number;
  now?: () => number;
}

/**
 * Per-workspace retention of telemetry and dead letters. A sweep every `sweepSeconds` deletes what
 * is older than each workspace's period, a chunk at a time, yielding to the event loop between
 * chunks so ingest (which shares the one SQLite writer) is never held up for long.
 */
export class RetentionService {
  private readonly sweeps = new Map<string, RetentionSweep>();
  private readonly chunkSize: number;
  private readonly maxChunks: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly repository: RetentionRepository,
    private readonly logger: Logger,
    private readonly options: RetentionOptions,
  ) {
    this.chunkSize = options.chunkSize ?? 1_000;
    this.maxChunks = options.maxChunks ?? 100;
    this.now = options.now ?? Date.now;
  }

  setting(workspaceId: string): RetentionSetting {
    return { days: this.repository.period(workspaceId), lastSweep: this.sweeps.get(workspaceId) ?? null };
  }

  setPeriod(workspaceId: string, days: number | null): RetentionSetting {
    this.repository.setPeriod(workspaceId, days, this.now());
    this.logger.info({ workspaceId, days }, 'telemetry retention period set');
    return this.setting(workspaceId);
  }

  /** Sweeps every `sweepSeconds`; the timer never keeps the process alive. */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** The sweep in progress, if any, stops before its next chunk: the store may close right after. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One sweep of every workspace that has a period, then of the change log. */
  async sweep(): Promise<void> {
    for (const period of this.repository.periods()) {
      if (this.stopped) return;
      await this.sweepWorkspace(period);
    }
    await this.trimChanges();
  }

  private schedule(): void {
    if (this.stopped) return;
    // The next sweep is timed from the end of this one, so sweeps never overlap.
    this.timer = setTimeout(() => {
      this.sweep()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'retention sweep failed; retrying at the next one'))
        .finally(() => this.schedule());
    }, this.options.sweepSeconds * 1_000);
    this.timer.unref();
  }

  private async sweepWorkspace({ workspaceId, days }: RetentionPeriod): Promise<void> {
    const before = this.now() - days * DAY_MS;
    const telemetry = await this.deleteTelemetry(workspaceId, before);
    if (telemetry === undefined) return;
    const deadLetters = await this.deleteDeadLetters(workspaceId, before);
    if (deadLetters === undefined) return;
    const deleted = { telemetry: telemetry.deleted, deadLetters };
    this.sweeps.set(workspaceId, { at: new Date(this.now()).toISOString(), deleted });
    if (deleted.telemetry + deleted.deadLetters > 0) {
      this.logger.debug({ workspaceId, days, before, ...deleted }, 'retention sweep deleted expired telemetry');
    }
  }

  /** Chunk after chunk until done or out of chunks; undefined when stopped half-way. */
  private async deleteTelemetry(workspaceId: string, before: number): Promise<{ deleted: number } | undefined> {
    let deleted = 0;
    let chunks = 0;
    let resumeAt: string | undefined = '';
    while (resumeAt !== undefined && chunks < this.maxChunks) {
      if (this.stopped) return undefined;
      const chunk = this.repository.deleteExpiredTelemetry(workspaceId, before, this.chunkSize, resumeAt);
      deleted += chunk.deleted;
      resumeAt = chunk.resumeAt;
      chunks++;
      await yieldToEventLoop();
    }
    return { deleted };
  }

  /**
   * The change log is trimmed here rather than by a sweeper of its own: it lives in the same file,
   * and one sweeper keeps every retention delete on the same chunk-and-yield schedule as ingest.
   */
  private async trimChanges(): Promise<void> {
    const before = this.now() - CHANGE_RETENTION_MS;
    let deleted = 0;
    for (let chunks = 0; chunks < this.maxChunks && !this.stopped; chunks++) {
      const count = this.repository.deleteOldChanges(before, this.chunkSize);
      deleted += count;
      await yieldToEventLoop();
      if (count < this.chunkSize) break;
    }
    if (deleted > 0) this.logger.debug({ before, deleted }, 'retention sweep trimmed the change log');
  }

  /** Dead letters have a budget of their own, so a long telemetry backlog cannot starve them. */
  private async deleteDeadLetters(workspaceId: string, before: number): Promise<number | undefined> {
    let deleted = 0;
    for (let chunks = 0; chunks < this.maxChunks; chunks++) {
      if (this.stopped) return undefined;
      const count = this.repository.deleteExpiredDeadLetters(workspaceId, before, this.chunkSize);
      deleted += count;
      await yieldToEventLoop();
      if (count < this.chunkSize) break;
    }
    return deleted;
  }
}
