import { randomUUID } from 'node:crypto';
import type {
  DescribeJobExecutionRequest,
  GetPendingJobExecutionsResponse,
  StartNextJobExecutionResponse,
  StartNextPendingJobExecutionRequest,
  UpdateJobExecutionRequest,
  UpdateJobExecutionResponse,
} from '@citus/contracts';
import { JobId, type JobReasonCode } from '@citus/contracts';
import type { Logger } from '@citus/kit';
import { applyUpdate, cancelExecution, isDue, isTerminal, nextPending, removeExecution, startNext, timeOut } from '../domain/jobs/job-execution.rules.js';
import { abortCriterionMet } from '../domain/jobs/rollout.rules.js';
import { epochSeconds, executionEventMessage, executionView, jobEventMessage, pendingChangeMessages, summaryOf } from '../domain/jobs/job-messages.js';
import type { ExecutionRecord, JobRecord, JobRepository } from '../domain/jobs/job.model.js';
import { noSuchExecution, rejection, stateOf, type JobsRejection } from '../domain/jobs/jobs-rejection.js';
import type { MessagePublisher, OutboundMessage } from '../domain/message-publisher.port.js';
import { GroupCommit } from './group-commit.queue.js';

/** A device request's answer, without `clientToken` (the handler echoes it), and what it causes. */
export interface JobsOutcome<T> {
  answer: { accepted: T } | { rejected: JobsRejection };
  /** `notify`, `notify-next` and cloud-side events, sent after the answer. */
  messages: OutboundMessage[];
}

export interface JobsServiceOptions {
  /** Epoch ms; injectable so tests can drive timeouts. */
  now?: () => number;
  /** How often the sweeper looks for run-out timers. */
  sweepIntervalMs?: number;
  /** Device requests queued past this many answer RequestThrottled. */
  maxInFlight?: number;
}

type Settled = { value: unknown } | { error: unknown };

const SWEEP_BATCH = 500;

/**
 * The Jobs device API (AWS IoT Jobs device MQTT API) over a job store. Every request that reads or
 * changes executions runs in a queue of closures committed together (group commit, one fsync for
 * many requests); each runs in its own savepoint, so they are serialised and one failing request
 * leaves the others' writes alone. Answers go out only once their write is committed.
 */
export class JobsService {
  readonly now: () => number;
  private readonly queue: GroupCommit<() => unknown, Settled>;
  private readonly maxInFlight: number;
  private readonly sweepIntervalMs: number;
  private inFlight = 0;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: JobRepository,
    private readonly publisher: MessagePublisher,
    private readonly logger: Logger,
    options: JobsServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxInFlight = options.maxInFlight ?? 20_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1_000;
    this.queue = new GroupCommit((works) => this.repository.transaction(() => works.map((work) => this.settle(work))));
  }

  /** Runs `work` in the next committed batch; resolves with its result once committed. */
  async run<T>(work: () => T): Promise<T> {
    this.inFlight++;
    try {
      const settled = await this.queue.submit(work);
      if ('error' in settled) throw settled.error;
      return settled.value as T;
    } finally {
      this.inFlight--;
    }
  }

  getPending(workspaceId: string, thingName: string): Promise<JobsOutcome<Omit<GetPendingJobExecutionsResponse, 'clientToken'>>> {
    return this.request(() => {
      const pending = this.repository.pendingExecutions(workspaceId, thingName);
      const inProgressJobs = pending.filter((execution) => execution.status === 'IN_PROGRESS').map(summaryOf);
      const queuedJobs = pending.filter((execution) => execution.status === 'QUEUED').map(summaryOf);
      return { answer: { accepted: { inProgressJobs, queuedJobs, timestamp: this.seconds() } }, messages: [] };
    });
  }

  startNext(workspaceId: string, thingName: string, request: StartNextPendingJobExecutionRequest): Promise<JobsOutcome<Omit<StartNextJobExecutionResponse, 'clientToken'>>> {
    return this.request(() => {
      const now = this.now();
      let started: { execution: ExecutionRecord; job: JobRecord } | undefined;
      const messages = this.changeThing(workspaceId, thingName, (pending) => {
        const next = nextPending(pending);
        const job = next && this.repository.getJob(workspaceId, next.jobId);
        if (!next || !job) return [];
        started = { execution: startNext(next, job, request, now), job };
        return started.execution === next ? [] : [started.execution];
      });
      const accepted = started ? { execution: executionView(started.execution, started.job, now), timestamp: epochSeconds(now) } : { timestamp: epochSeconds(now) };
      return { answer: { accepted }, messages };
    });
  }

  /**
   * DescribeJobExecution; `$next` is the next pending execution. TerminalStateReached answers for an
   * execution that ended in a job that ended too (AWS: "a command to describe a job ... in a terminal state").
   */
  describe(workspaceId: string, thingName: string, jobId: string, request: DescribeJobExecutionRequest): Promise<JobsOutcome<Omit<StartNextJobExecutionResponse, 'clientToken'>>> {
    return this.request(() => {
      const now = this.now();
      const timestamp = epochSeconds(now);
      const execution =
        jobId === '$next' ? nextPending(this.repository.pendingExecutions(workspaceId, thingName)) : this.findExecution(workspaceId, thingName, jobId, request.executionNumber);
      if (!execution) return jobId === '$next' ? { answer: { accepted: { timestamp } }, messages: [] } : this.reject(noSuchExecution(jobId));
      const job = this.repository.getJob(workspaceId, execution.jobId);
      if (!job) return this.reject(noSuchExecution(jobId));
      if (job.status !== 'IN_PROGRESS' && isTerminal(execution.status)) {
        return this.reject(rejection('TerminalStateReached', `job ${jobId} is ${job.status} and this execution ${execution.status}`));
      }
      const withDocument = request.includeJobDocument ?? true;
      return { answer: { accepted: { execution: executionView(execution, withDocument ? job : undefined, now), timestamp } }, messages: [] };
    });
  }

  update(workspaceId: string, thingName: string, jobId: string, request: UpdateJobExecutionRequest): Promise<JobsOutcome<Omit<UpdateJobExecutionResponse, 'clientToken'>>> {
    return this.request(() => {
      const now = this.now();
      const execution = this.findExecution(workspaceId, thingName, jobId, request.executionNumber);
      const job = execution && this.repository.getJob(workspaceId, jobId);
      if (!execution || !job) return this.reject(noSuchExecution(jobId));
      const result = applyUpdate(execution, job, request, now);
      if ('rejection' in result) return this.reject(result.rejection);
      const messages = this.changeThing(workspaceId, thingName, () => [result.execution]);
      if (isTerminal(result.execution.status)) messages.push(...this.executionEnded(job, now));
      const accepted: Omit<UpdateJobExecutionResponse, 'clientToken'> = {
        ...(request.includeJobExecutionState ? { executionState: stateOf(result.execution) } : {}),
        ...(request.includeJobDocument ? { jobDocument: job.document } : {}),
        timestamp: epochSeconds(now),
      };
      return { answer: { accepted }, messages };
    });
  }

  /** Times out the executions whose step or in-progress timer ran out; resolves with how many. */
  async sweep(): Promise<number> {
    if (this.repository.dueExecutions(this.now(), 1).length === 0) return 0;
    const { count, messages } = await this.run(() => this.timeOutDue());
    await this.publishAll(messages);
    return count;
  }

  /**
   * The thing was deleted: its QUEUED and IN_PROGRESS executions become REMOVED, each announced on
   * `$aws/events/jobExecution/{jobId}/removed`, and a job left with no open execution completes.
   * The thing itself is told nothing (no notify): it is gone, its sessions closed. Resolves with how
   * many executions were removed.
   */
  async removeThing(workspaceId: string, thingName: string): Promise<number> {
    const { count, messages } = await this.run(() => {
      const now = this.now();
      const removed = this.repository.pendingExecutions(workspaceId, thingName).map((execution) => removeExecution(execution, now));
      const out: OutboundMessage[] = [];
      for (const execution of removed) {
        this.repository.saveExecution(execution);
        this.recordExecution(execution, now);
        const event = executionEventMessage(execution, randomUUID(), now);
        if (event) out.push(event);
      }
      // Targets not yet told of a rolled-out job are dropped with it.
      const waitingOf = this.repository.cancelWaitingOfThing(workspaceId, thingName);
      for (const jobId of waitingOf) this.repository.appendEvent({ workspaceId, jobId, at: now, type: 'execution', thingName, status: 'REMOVED', detail: 'deleted before it was told' });
      for (const jobId of new Set([...removed.map((execution) => execution.jobId), ...waitingOf])) {
        const job = this.repository.getJob(workspaceId, jobId);
        if (job) out.push(...this.finishJobIfDone(job, now));
      }
      return { count: removed.length, messages: out };
    });
    await this.publishAll(messages);
    return count;
  }

  /**
   * Saves the executions `change` returns for one thing, given its pending executions, and answers
   * the messages this sends: notify, notify-next, and an event per execution that ended.
   */
  changeThing(workspaceId: string, thingName: string, change: (pending: ExecutionRecord[]) => ExecutionRecord[]): OutboundMessage[] {
    const now = this.now();
    const before = this.repository.pendingExecutions(workspaceId, thingName);
    const changed = change(before);
    if (changed.length === 0) return [];
    for (const execution of changed) {
      const earlier = before.find((pending) => pending.jobId === execution.jobId && pending.executionNumber === execution.executionNumber);
      this.repository.saveExecution(execution);
      if (earlier?.status !== execution.status) this.recordExecution(execution, now);
    }
    const after = this.repository.pendingExecutions(workspaceId, thingName);
    const jobOf = (jobId: string) => this.repository.getJob(workspaceId, jobId);
    const events = changed.flatMap((execution) => executionEventMessage(execution, randomUUID(), now) ?? []);
    return [...pendingChangeMessages({ thingName, before, after }, jobOf, now), ...events];
  }

  /** A job whose executions all ended, and whose rollout told every target, is COMPLETED, unless it was canceled. */
  finishJobIfDone(job: JobRecord, now: number): OutboundMessage[] {
    if (job.status !== 'IN_PROGRESS' || this.repository.countPendingOfJob(job.workspaceId, job.jobId) > 0) return [];
    if (job.rollout && this.repository.waitingTargets(job.workspaceId, job.jobId, 1).length > 0) return [];
    const completed: JobRecord = { ...job, status: 'COMPLETED', completedAt: now, lastUpdatedAt: now };
    this.repository.updateJob(completed);
    this.repository.appendEvent({ workspaceId: job.workspaceId, jobId: job.jobId, at: now, type: 'job.completed' });
    const event = jobEventMessage(completed, this.repository.executionsOfJob(job.workspaceId, job.jobId), randomUUID(), now);
    return event ? [event] : [];
  }

  /**
   * An execution of `job` ended: the job's abort criteria are checked (one met cancels the job, as
   * CancelJob without force does), then whether the job is done.
   */
  executionEnded(job: JobRecord, now: number): OutboundMessage[] {
    const abort = job.rollout?.abort;
    if (abort && job.status === 'IN_PROGRESS') {
      const met = abortCriterionMet(abort, this.repository.executionCounts(job.workspaceId, job.jobId));
      if (met) return this.cancelJob(job, { force: false, comment: `aborted: ${met.finding}`, reasonCode: 'ABORT_CRITERIA' }, now).messages;
    }
    return this.finishJobIfDone(job, now);
  }

  /**
   * Cancels a job in the current transaction: QUEUED executions (and IN_PROGRESS ones with `force`)
   * become CANCELED, targets not yet told are dropped, and `$aws/events/job/{jobId}/canceled` is sent.
   */
  cancelJob(job: JobRecord, how: { force: boolean; comment?: string; reasonCode?: JobReasonCode }, now: number): { job: JobRecord; messages: OutboundMessage[] } {
    const messages: OutboundMessage[] = [];
    for (const execution of this.repository.executionsOfJob(job.workspaceId, job.jobId)) {
      const canceled = cancelExecution(execution, how.force, now);
      if (canceled) messages.push(...this.changeThing(job.workspaceId, execution.thingName, () => [canceled]));
    }
    if (job.rollout) this.repository.cancelWaitingTargets(job.workspaceId, job.jobId);
    // Forcing a canceled job's executions in progress to end changes only them.
    if (job.status === 'CANCELED') {
      const forced: JobRecord = { ...job, forceCanceled: job.forceCanceled || how.force, lastUpdatedAt: now };
      this.repository.updateJob(forced);
      return { job: forced, messages };
    }
    const updated: JobRecord = {
      ...job,
      status: 'CANCELED',
      forceCanceled: job.forceCanceled || how.force,
      ...(how.comment ? { comment: how.comment } : {}),
      ...(how.reasonCode ? { reasonCode: how.reasonCode } : {}),
      lastUpdatedAt: now,
    };
    this.repository.updateJob(updated);
    this.repository.appendEvent({
      workspaceId: job.workspaceId,
      jobId: job.jobId,
      at: now,
      type: 'job.canceled',
      ...(how.reasonCode ? { reasonCode: how.reasonCode } : {}),
      ...(how.comment ? { detail: how.comment } : {}),
    });
    const event = jobEventMessage(updated, this.repository.executionsOfJob(job.workspaceId, job.jobId), randomUUID(), now);
    if (event) messages.push(event);
    return { job: updated, messages };
  }

  /** Sends messages one after another, so a thing sees them in order; a failure is logged, not thrown. */
  async publishAll(messages: readonly OutboundMessage[]): Promise<void> {
    for (const message of messages) {
      await this.publisher.publish(message).catch((error: unknown) => this.logger.warn({ err: error, topic: message.topic }, 'job message not sent'));
    }
  }

  /** Starts the timeout sweeper; it keeps no process alive. */
  start(): void {
    this.sweeper ??= setInterval(() => {
      this.sweep().catch((error: unknown) => this.logger.error({ err: error }, 'job timeout sweep failed'));
    }, this.sweepIntervalMs).unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Commits what is queued; called on shutdown before the store closes. */
  drain(): void {
    this.queue.drain();
  }

  seconds(): number {
    return epochSeconds(this.now());
  }

  private timeOutDue(): { count: number; messages: OutboundMessage[] } {
    const now = this.now();
    const messages: OutboundMessage[] = [];
    let count = 0;
    for (const due of this.repository.dueExecutions(now, SWEEP_BATCH)) {
      const job = this.repository.getJob(due.workspaceId, due.jobId);
      messages.push(
        ...this.changeThing(due.workspaceId, due.thingName, (pending) => {
          const current = pending.find((execution) => execution.jobId === due.jobId && execution.executionNumber === due.executionNumber);
          if (!current || !isDue(current, now)) return [];
          count++;
          return [timeOut(current, now)];
        }),
      );
      if (job) messages.push(...this.executionEnded(job, now));
    }
    return { count, messages };
  }

  /** An execution's new status, in its job's history. */
  private recordExecution(execution: ExecutionRecord, now: number): void {
    this.repository.appendEvent({ workspaceId: execution.workspaceId, jobId: execution.jobId, at: now, type: 'execution', thingName: execution.thingName, status: execution.status });
  }

  private findExecution(workspaceId: string, thingName: string, jobId: string, executionNumber?: number): ExecutionRecord | undefined {
    // A topic level that is no job id names no execution.
    if (!JobId.safeParse(jobId).success) return undefined;
    return this.repository.getExecution(workspaceId, thingName, jobId, executionNumber);
  }

  private reject<T>(why: JobsRejection): JobsOutcome<T> {
    return { answer: { rejected: why }, messages: [] };
  }

  /** A device request: throttled when the queue is full, answered InternalError when the store fails. */
  private async request<T>(work: () => JobsOutcome<T>): Promise<JobsOutcome<T>> {
    if (this.inFlight >= this.maxInFlight) return this.reject(rejection('RequestThrottled', 'too many requests in flight; retry later'));
    try {
      return await this.run(work);
    } catch (error) {
      this.logger.error({ err: error }, 'jobs request failed');
      return this.reject(rejection('InternalError', 'the request could not be processed'));
    }
  }

  private settle(work: () => unknown): Settled {
    try {
      return { value: this.repository.transaction(work) };
    } catch (error) {
      return { error };
    }
  }
}
