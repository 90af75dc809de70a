import { randomUUID } from 'node:crypto';
import {
  JobExecutionStatus,
  type CancelJobRequest,
  type CreateJobRequest,
  type Job,
  type JobExecutionView,
  type JobSummary,
} from '@citus/contracts';
import { badRequest, conflict, notFound } from '@citus/kit';
import type { ThingDirectory } from '../domain/device-session.model.js';
import { cancelExecution, queuedExecution } from '../domain/jobs/job-execution.rules.js';
import { jobEventMessage } from '../domain/jobs/job-messages.js';
import type { ExecutionRecord, JobRecord, JobRepository } from '../domain/jobs/job.model.js';
import type { OutboundMessage } from '../domain/message-publisher.port.js';
import type { JobsService } from './jobs.service.js';

const iso = (ms: number): string => new Date(ms).toISOString();

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

function jobView(job: JobRecord, executions: readonly ExecutionRecord[]): Job {
  const executionCounts = Object.fromEntries(JobExecutionStatus.options.map((status) => [status, 0])) as Job['executionCounts'];
  for (const execution of executions) executionCounts[execution.status]++;
  return {
    ...summaryView(job),
    document: job.document,
    targets: executions.map((execution) => execution.thingName),
    ...(job.timeoutConfig ? { timeoutConfig: job.timeoutConfig } : {}),
    forceCanceled: job.forceCanceled,
    ...(job.comment ? { comment: job.comment } : {}),
    executionCounts,
  };
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
    private readonly things: ThingDirectory,
  ) {}

  async create(workspaceId: string, request: CreateJobRequest): Promise<{ jobId: string }> {
    const foreign = request.targets.filter((thingName) => this.things.workspaceOfThing(thingName) !== workspaceId);
    if (foreign.length > 0) throw badRequest(`no such thing in this workspace: ${foreign.slice(0, 20).join(', ')}`, { targets: foreign });
    const jobId = request.jobId ?? randomUUID();
    const messages = await this.jobs.run(() => {
      const now = this.jobs.now();
      const job: JobRecord = {
        workspaceId,
        jobId,
        document: request.document,
        ...(request.description ? { description: request.description } : {}),
        status: 'IN_PROGRESS',
        ...(request.timeoutConfig ? { timeoutConfig: request.timeoutConfig } : {}),
        forceCanceled: false,
        createdAt: now,
        lastUpdatedAt: now,
      };
      const executions = request.targets.map((thingName) => queuedExecution(job, thingName));
      if (!this.repository.insertJob(job)) throw conflict(`job ${jobId} exists`);
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
    return jobView(job, this.repository.executionsOfJob(workspaceId, jobId));
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
      const now = this.jobs.now();
      const out: OutboundMessage[] = [];
      for (const execution of this.repository.executionsOfJob(workspaceId, jobId)) {
        const canceled = cancelExecution(execution, force, now);
        if (canceled) out.push(...this.jobs.changeThing(workspaceId, execution.thingName, () => [canceled]));
      }
      const updated: JobRecord = {
        ...job,
        status: 'CANCELED',
        forceCanceled: job.forceCanceled || force,
        ...(request.comment ? { comment: request.comment } : {}),
        lastUpdatedAt: now,
      };
      this.repository.updateJob(updated);
      const executions = this.repository.executionsOfJob(workspaceId, jobId);
      const event = jobEventMessage(updated, executions, randomUUID(), now);
      return { view: jobView(updated, executions), messages: event ? [...out, event] : out };
    });
    await this.jobs.publishAll(messages);
    return view;
  }
}
