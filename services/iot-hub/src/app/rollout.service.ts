import type { HealthGate } from '@citus/contracts';
import { conflict, notFound, type Logger } from '@citus/kit';
import { queuedExecution } from '../domain/jobs/job-execution.rules.js';
import type { JobRecord, JobRepository, RolloutRunState } from '../domain/jobs/job.model.js';
import { earnCredit, initialRunState, judgeHealth, raiseRate, type MetricSample } from '../domain/jobs/rollout.rules.js';
import type { OutboundMessage } from '../domain/message-publisher.port.js';
import type { TelemetryQueries } from '../domain/telemetry-buckets.rules.js';
import type { JobsService } from './jobs.service.js';

/** Port: a numeric telemetry field's values of one thing in a time range (epoch ms, both ends included). */
export interface MetricSource {
  sample(workspaceId: string, thingName: string, field: string, from: number, to: number): Promise<MetricSample>;
}

/** The health gate's metrics from the telemetry table: one aggregate bucket spanning the range. */
export function telemetryMetrics(queries: TelemetryQueries): MetricSource {
  return {
    async sample(workspaceId, thingName, field, from, to) {
      const buckets = await queries.aggregate({ workspaceId, thingName }, field, { from, to, bucket: to - from + 1 });
      if ('problem' in buckets) return { sum: 0, count: 0 };
      return buckets.reduce((total, bucket) => ({ sum: total.sum + bucket.avg * bucket.count, count: total.count + bucket.count }), { sum: 0, count: 0 });
    },
  };
}

export interface RolloutServiceOptions {
  /** How often rollouts are advanced. */
  tickMs?: number;
  /** The most targets told in one tick of a job without a rate, so a tick stays short. */
  releaseBatch?: number;
  /** The most things of each side whose telemetry one health check reads. */
  healthSampleThings?: number;
}

/**
 * Rollouts: a job with a rollout config, a start time, abort criteria or a health gate keeps its
 * targets WAITING and tells them a few at a time, as AWS IoT Jobs' rollout does. A tick advances
 * every such job in the jobs queue (so it is serialised with the devices' requests): a SCHEDULED
 * job starts at its time, and targets are told at the rate its config allows. A job's health gate
 * is checked outside the queue (it reads telemetry), then its finding applied in it.
 */
export class RolloutService {
  private readonly tickMs: number;
  private readonly releaseBatch: number;
  private readonly healthSampleThings: number;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly repository: JobRepository,
    private readonly jobs: JobsService,
    private readonly metrics: MetricSource | undefined,
    private readonly logger: Logger,
    options: RolloutServiceOptions = {},
  ) {
    this.tickMs = options.tickMs ?? 250;
    this.releaseBatch = options.releaseBatch ?? 1000;
    this.healthSampleThings = options.healthSampleThings ?? 200;
  }

  /** The running state a new job with a rollout starts with. */
  initialState(): RolloutRunState {
    return initialRunState(this.jobs.now());
  }

  /**
   * Tells targets of the job what the rollout allows now, in the current transaction: every
   * waiting target (up to a batch) of a job without a rate, else as many as its credit allows.
   */
  advance(job: JobRecord): { job: JobRecord; messages: OutboundMessage[] } {
    const settings = job.rollout;
    if (!settings || (job.status !== 'SCHEDULED' && job.status !== 'IN_PROGRESS')) return { job, messages: [] };
    const now = this.jobs.now();
    let current = job;
    if (current.status === 'SCHEDULED') {
      if (settings.startAt !== undefined && now < settings.startAt) return { job, messages: [] };
      current = { ...current, status: 'IN_PROGRESS', lastUpdatedAt: now, rolloutState: { ...(current.rolloutState ?? initialRunState(now)), lastTickAt: now } };
      this.repository.appendEvent({ workspaceId: job.workspaceId, jobId: job.jobId, at: now, type: 'rollout.started' });
    }
    const state = current.rolloutState ?? initialRunState(now);
    if (state.paused) {
      if (current !== job) this.repository.updateJob(current);
      return { job: current, messages: [] };
    }
    let allowed = this.releaseBatch;
    let next = state;
    if (settings.rate) {
      const targets = this.repository.targetCounts(current.workspaceId, current.jobId);
      const counts = this.repository.executionCounts(current.workspaceId, current.jobId);
      const raised = raiseRate(settings.rate, state, { notified: targets.RELEASED, succeeded: counts.SUCCEEDED });
      next = earnCredit(raised.state, raised.ratePerMinute, now);
      allowed = Math.floor(next.credit);
    }
    const waiting = allowed > 0 ? this.repository.waitingTargets(current.workspaceId, current.jobId, Math.min(allowed, this.releaseBatch)) : [];
    const messages: OutboundMessage[] = [];
    for (const thingName of waiting) {
      this.repository.setTargetState(current.workspaceId, current.jobId, thingName, 'RELEASED');
      const execution = queuedExecution(current, thingName, now);
      messages.push(...this.jobs.changeThing(current.workspaceId, thingName, () => [execution]));
    }
    if (settings.rate) next = { ...next, credit: next.credit - waiting.length };
    current = { ...current, rolloutState: next };
    this.repository.updateJob(current);
    // A rollout whose targets were all dropped (deleted things) may have nothing left to wait for.
    messages.push(...this.jobs.finishJobIfDone(current, now));
    return { job: current, messages };
  }

  /** Pauses a job's rollout: no further target is told until it is resumed. */
  async pause(workspaceId: string, jobId: string, reason: string): Promise<void> {
    await this.jobs.run(() => {
      const job = this.rolloutJob(workspaceId, jobId);
      if (job.rolloutState?.paused) throw conflict(`job ${jobId}'s rollout is paused already`);
      const now = this.jobs.now();
      this.repository.updateJob({ ...job, rolloutState: { ...(job.rolloutState ?? this.initialState()), paused: { reason, at: now } } });
      this.repository.appendEvent({ workspaceId, jobId, at: now, type: 'rollout.paused', detail: reason });
    });
  }

  /** Resumes a paused rollout; credit starts again from now, so no burst makes up for the pause. */
  async resume(workspaceId: string, jobId: string): Promise<void> {
    await this.jobs.run(() => {
      const job = this.rolloutJob(workspaceId, jobId);
      const state = job.rolloutState ?? this.initialState();
      if (!state.paused) throw conflict(`job ${jobId}'s rollout is not paused`);
      const { paused: _paused, lastHealthCheck: _check, ...rest } = state;
      const now = this.jobs.now();
      this.repository.updateJob({ ...job, rolloutState: { ...rest, lastTickAt: now } });
      this.repository.appendEvent({ workspaceId, jobId, at: now, type: 'rollout.resumed' });
    });
  }

  /** Advances every rollout once and checks the health gates that are due; resolves when done. */
  tick(): Promise<void> {
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Starts ticking; it keeps no process alive. */
  start(): void {
    this.timer ??= setInterval(() => {
      this.tick().catch((error: unknown) => this.logger.error({ err: error }, 'rollout tick failed'));
    }, this.tickMs).unref();
  }

  /** Stops ticking and waits for a tick under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  private async runTick(): Promise<void> {
    for (const active of this.repository.activeRollouts()) {
      const { workspaceId, jobId } = active;
      // A running rollout that told every target has nothing to advance; only its gate may be due.
      const told = active.status === 'IN_PROGRESS' && this.repository.waitingTargets(workspaceId, jobId, 1).length === 0;
      const { job, messages } = told
        ? { job: active, messages: [] }
        : await this.jobs.run(() => {
            const fresh = this.repository.getJob(workspaceId, jobId);
            return fresh ? this.advance(fresh) : { job: active, messages: [] };
          });
      await this.jobs.publishAll(messages);
      const gate = job.rollout?.healthGate;
      if (gate && this.metrics && this.healthCheckDue(job, gate)) await this.checkHealth(job, gate, this.metrics);
    }
  }

  private healthCheckDue(job: JobRecord, gate: HealthGate): boolean {
    if (job.status !== 'IN_PROGRESS' || job.rolloutState?.paused) return false;
    const last = job.rolloutState?.lastHealthCheck;
    return !last || Date.parse(last.at) + gate.checkIntervalSeconds * 1000 <= this.jobs.now();
  }

  /**
   * Reads the gate's metric on the things updated (SUCCEEDED, their telemetry since then) and on
   * the targets not yet updated, judges it, then records the finding and pauses or cancels the job
   * when it is unhealthy, unless the job changed meanwhile.
   */
  private async checkHealth(job: JobRecord, gate: HealthGate, metrics: MetricSource): Promise<void> {
    const now = this.jobs.now();
    const from = now - gate.windowSeconds * 1000;
    const executions = this.repository.executionsOfJob(job.workspaceId, job.jobId);
    const updated = executions
      .filter((execution) => execution.status === 'SUCCEEDED')
      .slice(-this.healthSampleThings)
      .map((execution) => ({ thingName: execution.thingName, since: Math.max(from, execution.lastUpdatedAt) }));
    const notUpdated = [
      ...executions.filter((execution) => execution.status === 'QUEUED' || execution.status === 'IN_PROGRESS').map((execution) => execution.thingName),
      ...this.repository.waitingTargets(job.workspaceId, job.jobId, this.healthSampleThings),
    ].slice(0, this.healthSampleThings);
    const total = (samples: MetricSample[]): MetricSample =>
      samples.reduce((sum, sample) => ({ sum: sum.sum + sample.sum, count: sum.count + sample.count }), { sum: 0, count: 0 });
    const updatedSample = total(await Promise.all(updated.map(({ thingName, since }) => metrics.sample(job.workspaceId, thingName, gate.field, since, now))));
    const baselineSample = total(await Promise.all(notUpdated.map((thingName) => metrics.sample(job.workspaceId, thingName, gate.field, from, now))));
    const judgement = judgeHealth(gate, updatedSample, baselineSample);
    const messages = await this.jobs.run(() => {
      const fresh = this.repository.getJob(job.workspaceId, job.jobId);
      if (!fresh || fresh.status !== 'IN_PROGRESS' || fresh.rolloutState?.paused) return [];
      const lastHealthCheck = {
        at: new Date(now).toISOString(),
        healthy: judgement.healthy,
        ...(judgement.updatedMean === undefined ? {} : { updatedMean: judgement.updatedMean }),
        updatedSamples: updatedSample.count,
        ...(judgement.baselineMean === undefined ? {} : { baselineMean: judgement.baselineMean }),
        baselineSamples: baselineSample.count,
        finding: judgement.finding,
      };
      const state: RolloutRunState = { ...(fresh.rolloutState ?? this.initialState()), lastHealthCheck };
      if (judgement.healthy || gate.action === 'PAUSE') {
        const reason = `health gate: ${judgement.finding}`;
        this.repository.updateJob({ ...fresh, rolloutState: judgement.healthy ? state : { ...state, paused: { reason, at: now } }, ...(judgement.healthy ? {} : { lastUpdatedAt: now }) });
        if (!judgement.healthy) this.repository.appendEvent({ workspaceId: job.workspaceId, jobId: job.jobId, at: now, type: 'rollout.paused', reasonCode: 'HEALTH_GATE', detail: reason });
        return [];
      }
      return this.jobs.cancelJob({ ...fresh, rolloutState: state }, { force: false, comment: `health gate: ${judgement.finding}`, reasonCode: 'HEALTH_GATE' }, now).messages;
    });
    if (!judgement.healthy) this.logger.warn({ jobId: job.jobId, workspaceId: job.workspaceId, finding: judgement.finding, action: gate.action }, 'rollout health gate failed');
    await this.jobs.publishAll(messages);
  }

  private rolloutJob(workspaceId: string, jobId: string): JobRecord {
    const job = this.repository.getJob(workspaceId, jobId);
    if (!job) throw notFound('job');
    if (!job.rollout) throw conflict(`job ${jobId} told every target when it was created; it has no rollout to pause or resume`);
    if (job.status !== 'SCHEDULED' && job.status !== 'IN_PROGRESS') throw conflict(`job ${jobId} is ${job.status}`);
    return job;
  }
}
