import { randomUUID } from 'node:crypto';
import {
  JobExecutionStatus,
  MAX_JOB_TARGETS,
  pageOfHistory,
  type CancelJobRequest,
  type CreateJobRequest,
  type Job,
  type JobEventPage,
  type HistoryQuery,
  type JobExecutionView,
  type JobSummary,
  type PauseJobRequest,
  type RolloutProgress,
} from '@citus/contracts';
import { AppError, badRequest, conflict, notFound } from '@citus/kit';
import type { ThingDirectory } from '../domain/device-session.model.js';
import { queuedExecution } from '../domain/jobs/job-execution.rules.js';
import type { ExecutionRecord, JobRecord, JobRepository, RolloutSettings, TargetState } from '../domain/jobs/job.model.js';
import { raiseRate } from '../domain/jobs/rollout.rules.js';
import type { JobsService } from './jobs.service.js';
import type { RolloutService } from './rollout.service.js';

/** Port: the things of a workspace's thing group now (static members, or a dynamic group's matches). */
export interface TargetGroups {
  resolveTargets(workspaceId: string, groupName: string): Promise<string[]>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3600 * 1000;

function summaryView(job: JobRecord): JobSummary {
  return {
    jobId: job.jobId,
    status: job.status,
    ...(job.description ? { description: job.description } : {}),
    createdAt: iso(job.createdAt),
    lastUpdatedAt: iso(job.lastUpdatedAt),
    ...(job.completedAt === undefined ? {} : { completedAt: iso(job.completedAt) }),
  };
}

function jobView(job: JobRecord, executions: readonly ExecutionRecord[], targets: { names: string[]; counts: Record<TargetState, number> } | undefined): Job {
  const executionCounts = Object.fromEntries(JobExecutionStatus.options.map((status) => [status, 0])) as Job['executionCounts'];
  for (const execution of executions) executionCounts[execution.status]++;
  const settings = job.rollout;
  return {
    ...summaryView(job),
    document: job.document,
    targets: targets?.names ?? executions.map((execution) => execution.thingName),
    ...(job.thingGroups ? { thingGroups: job.thingGroups } : {}),
    ...(job.timeoutConfig ? { timeoutConfig: job.timeoutConfig } : {}),
    ...(settings?.rate ? { jobExecutionsRolloutConfig: settings.rate } : {}),
    ...(settings?.abort ? { abortConfig: settings.abort } : {}),
    ...(settings?.startAt === undefined ? {} : { schedulingConfig: { startTime: iso(settings.startAt) } }),
    ...(settings?.healthGate ? { healthGate: settings.healthGate } : {}),
    forceCanceled: job.forceCanceled,
    ...(job.comment ? { comment: job.comment } : {}),
    ...(job.reasonCode ? { reasonCode: job.reasonCode } : {}),
    executionCounts,
    rollout: rolloutProgress(job, executionCounts, targets?.counts),
  };
}

function rolloutProgress(job: JobRecord, counts: Job['executionCounts'], targets: Record<TargetState, number> | undefined): RolloutProgress {
  const waiting = targets?.WAITING ?? 0;
  const state = job.rolloutState;
  const stage: RolloutProgress['state'] =
    job.status === 'SCHEDULED' ? 'SCHEDULED' : job.status === 'IN_PROGRESS' && state?.paused ? 'PAUSED' : job.status === 'IN_PROGRESS' && waiting > 0 ? 'RUNNING' : 'DONE';
  const rate = stage === 'RUNNING' && job.rollout?.rate && state ? raiseRate(job.rollout.rate, state, { notified: targets?.RELEASED ?? 0, succeeded: counts.SUCCEEDED }).ratePerMinute : undefined;
  return {
    state: stage,
    ...((stage === 'PAUSED' || stage === 'SCHEDULED') && state?.paused ? { pausedReason: state.paused.reason } : {}),
    ...(rate === undefined ? {} : { currentRatePerMinute: Math.round(rate * 100) / 100 }),
    numberOfWaitingThings: waiting,
    numberOfQueuedThings: counts.QUEUED,
    numberOfInProgressThings: counts.IN_PROGRESS,
    numberOfSucceededThings: counts.SUCCEEDED,
    numberOfFailedThings: counts.FAILED,
    numberOfTimedOutThings: counts.TIMED_OUT,
    numberOfRejectedThings: counts.REJECTED,
    // Targets dropped before they were told count as canceled too.
    numberOfCanceledThings: counts.CANCELED + (targets?.CANCELED ?? 0),
    // As are targets deleted before they were told to removed.
    numberOfRemovedThings: counts.REMOVED + (targets?.REMOVED ?? 0),
    ...(state?.lastHealthCheck ? { lastHealthCheck: state.lastHealthCheck } : {}),
  };
}

/** A rolled-out job's targets, by name in their order, and how many stand where. */
function targetsView(targets: ReadonlyArray<{ thingName: string; state: TargetState }>): { names: string[]; counts: Record<TargetState, number> } {
  const counts: Record<TargetState, number> = { WAITING: 0, RELEASED: 0, CANCELED: 0, REMOVED: 0 };
  for (const target of targets) counts[target.state]++;
  return { names: targets.map((target) => target.thingName), counts };
}

/** The rollout settings a request asks for, or none: a job without them tells every target at once. */
function rolloutSettings(request: CreateJobRequest, now: number): RolloutSettings | undefined {
  const startAt = request.schedulingConfig && Date.parse(request.schedulingConfig.startTime);
  if (startAt !== undefined) {
    if (startAt <= now) throw badRequest('schedulingConfig.startTime must be in the future', { startTime: request.schedulingConfig?.startTime });
    if (startAt > now + MAX_SCHEDULE_AHEAD_MS) throw badRequest('schedulingConfig.startTime may be at most a year ahead', { startTime: request.schedulingConfig?.startTime });
  }
  const settings: RolloutSettings = {
    ...(request.jobExecutionsRolloutConfig ? { rate: request.jobExecutionsRolloutConfig } : {}),
    ...(request.abortConfig ? { abort: request.abortConfig } : {}),
    ...(startAt === undefined ? {} : { startAt }),
    ...(request.healthGate ? { healthGate: request.healthGate } : {}),
  };
  return Object.keys(settings).length > 0 ? settings : undefined;
}

function executionView(execution: ExecutionRecord): JobExecutionView {
  return {
    jobId: execution.jobId,
    thingName: execution.thingName,
    executionNumber: execution.executionNumber,
    status: execution.status,
    statusDetails: execution.statusDetails,
    versionNumber: execution.versionNumber,
    queuedAt: iso(execution.queuedAt),
    ...(execution.startedAt === undefined ? {} : { startedAt: iso(execution.startedAt) }),
    lastUpdatedAt: iso(execution.lastUpdatedAt),
  };
}

/**
 * The jobs control plane (a small part of AWS IoT's CreateJob, DescribeJob, ListJobExecutionsForJob
 * and CancelJob), scoped to one workspace. Changes run in the jobs queue, so they are serialised
 * with the devices' requests, and the targets hear of them once committed.
 */
export class JobControlService {
  constructor(
    private readonly repository: JobRepository,
    private readonly jobs: JobsService,
    private readonly rollouts: RolloutService,
    private readonly things: ThingDirectory,
    /** Thing groups, for jobs that target them; without them such a job is refused. */
    private readonly groups?: TargetGroups,
  ) {}

  async create(workspaceId: string, request: CreateJobRequest): Promise<{ jobId: string }> {
    const targets = await this.targetsOf(workspaceId, request);
    this.checkOwned(workspaceId, targets);
    const jobId = request.jobId ?? randomUUID();
    const rollout = rolloutSettings(request, this.jobs.now());
    if (request.healthGate && !this.rollouts.supports(request.healthGate)) {
      throw badRequest(`this platform cannot read the health gate's signal ${request.healthGate.signal} (anomalyRate needs the analytics service in the hub's process)`);
    }
    const messages = await this.jobs.run(() => {
      const now = this.jobs.now();
      const job: JobRecord = {
        workspaceId,
        jobId,
        document: request.document,
        ...(request.description ? { description: request.description } : {}),
        status: rollout?.startAt === undefined ? 'IN_PROGRESS' : 'SCHEDULED',
        ...(request.timeoutConfig ? { timeoutConfig: request.timeoutConfig } : {}),
        ...(request.thingGroups ? { thingGroups: request.thingGroups } : {}),
        ...(rollout ? { rollout, rolloutState: this.rollouts.initialState() } : {}),
        forceCanceled: false,
        createdAt: now,
        lastUpdatedAt: now,
      };
      // Checked again in the queue: a thing deleted since the check above is not made a target.
      this.checkOwned(workspaceId, targets);
      if (!this.repository.insertJob(job)) throw conflict(`job ${jobId} exists`);
      this.repository.appendEvent({
        workspaceId,
        jobId,
        at: now,
        type: 'job.created',
        detail: `${targets.length} target${targets.length === 1 ? '' : 's'}${rollout?.startAt === undefined ? '' : `, starting ${iso(rollout.startAt)}`}`,
      });
      if (rollout) {
        // Targets wait their turn; those the rollout allows now are told at once.
        this.repository.insertTargets(workspaceId, jobId, targets);
        return this.rollouts.advance(job).messages;
      }
      const executions = targets.map((thingName) => queuedExecution(job, thingName));
      // Each execution goes in through changeThing, which works out what its target is told.
      return executions.flatMap((execution) => this.jobs.changeThing(workspaceId, execution.thingName, () => [execution]));
    });
    await this.jobs.publishAll(messages);
    return { jobId };
  }

  list(workspaceId: string): JobSummary[] {
    return this.repository.listJobs(workspaceId).map(summaryView);
  }

  get(workspaceId: string, jobId: string): Job {
    const job = this.repository.getJob(workspaceId, jobId);
    if (!job) throw notFound('job');
    return this.view(job);
  }

  executions(workspaceId: string, jobId: string): JobExecutionView[] {
    if (!this.repository.getJob(workspaceId, jobId)) throw notFound('job');
    return this.repository.executionsOfJob(workspaceId, jobId).map(executionView);
  }

  async cancel(workspaceId: string, jobId: string, request: CancelJobRequest): Promise<Job> {
    const force = request.force ?? false;
    const { view, messages } = await this.jobs.run(() => {
      const job = this.repository.getJob(workspaceId, jobId);
      if (!job) throw notFound('job');
      if (job.status === 'COMPLETED') throw conflict(`job ${jobId} is completed`);
      if (job.status === 'CANCELED' && !force) throw conflict(`job ${jobId} is canceled; only force cancels its executions in progress`);
      const canceled = this.jobs.cancelJob(job, { force, ...(request.comment ? { comment: request.comment } : {}) }, this.jobs.now());
      return { view: this.view(canceled.job), messages: canceled.messages };
    });
    await this.jobs.publishAll(messages);
    return view;
  }

  /** A page of the job's history, oldest first. */
  events(workspaceId: string, jobId: string, query: HistoryQuery): JobEventPage {
    if (!this.repository.getJob(workspaceId, jobId)) throw notFound('job');
    const rows = this.repository.eventsOfJob(workspaceId, jobId, query.after, query.limit);
    return pageOfHistory(
      rows.map(({ workspaceId: _workspaceId, jobId: _jobId, sequence, at, ...event }) => ({ sequence, at: iso(at), ...event })),
      query.limit,
    );
  }

  /** Pauses a job's rollout: targets not yet told wait until it is resumed. */
  async pause(workspaceId: string, jobId: string, request: PauseJobRequest): Promise<Job> {
    await this.rollouts.pause(workspaceId, jobId, request.comment ?? 'paused by request');
    return this.get(workspaceId, jobId);
  }

  /** Resumes a paused rollout, whether a person or the health gate paused it. */
  async resume(workspaceId: string, jobId: string): Promise<Job> {
    await this.rollouts.resume(workspaceId, jobId);
    return this.get(workspaceId, jobId);
  }

  /** Refuses targets that are not things of the workspace, naming them. */
  private checkOwned(workspaceId: string, targets: readonly string[]): void {
    const foreign = targets.filter((thingName) => this.things.workspaceOfThing(thingName) !== workspaceId);
    if (foreign.length > 0) throw badRequest(`no such thing in this workspace: ${foreign.slice(0, 20).join(', ')}`, { targets: foreign });
  }

  /** The listed things and those of the named groups as they are now, each once, listed ones first. */
  private async targetsOf(workspaceId: string, request: CreateJobRequest): Promise<string[]> {
    const targets = new Set(request.targets);
    for (const group of request.thingGroups ?? []) {
      if (!this.groups) throw badRequest('thing groups are not available to jobs here');
      const members = await this.groups.resolveTargets(workspaceId, group).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'not_found') throw badRequest(`no such thing group in this workspace: ${group}`, { thingGroups: [group] });
        throw error;
      });
      for (const thingName of members) targets.add(thingName);
    }
    if (targets.size === 0) throw badRequest('the job has no target: its thing groups have no things', { thingGroups: request.thingGroups });
    if (targets.size > MAX_JOB_TARGETS) throw badRequest(`the job has ${targets.size} targets; the most is ${MAX_JOB_TARGETS}`);
    return [...targets];
  }

  private view(job: JobRecord): Job {
    const executions = this.repository.executionsOfJob(job.workspaceId, job.jobId);
    const targets = job.rollout ? targetsView(this.repository.targetsOfJob(job.workspaceId, job.jobId)) : undefined;
    return jobView(job, executions, targets);
  }
}
