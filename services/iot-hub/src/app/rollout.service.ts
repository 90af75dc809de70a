import type { HealthGate } from '@citus/contracts';
import { conflict, notFound, type Logger } from '@citus/kit';
import { isPending, queuedExecution } from '../domain/jobs/job-execution.rules.js';
import type { JobRecord, JobRepository, RolloutRunState } from '../domain/jobs/job.model.js';
import { earnCredit, initialRunState, judgeHealth, raiseRate, type MetricSample } from '../domain/jobs/rollout.rules.js';
import type { OutboundMessage } from '../domain/message-publisher.port.js';
import type { TelemetryQueries } from '../domain/telemetry-buckets.rules.js';
import type { JobsService } from './jobs.service.js';

/** Port: a health gate's signal on one thing in a time range (epoch ms, both ends included), as a sum over a count. */
export interface MetricSource {
  sample(workspaceId: string, thingName: string, field: string, from: number, to: number): Promise<MetricSample>;
}

/** Port: the analytics service's anomalies of a thing in a time range, and how far behind the telemetry it is. */
export interface AnomalyCounts {
  count(workspaceId: string, thingName: string, range: { from: number; to: number; field: string }): number | Promise<number>;
  lagMs(): number;
}

/** The signals a health gate may name, and where each is read. */
export type RolloutSignals = Partial<Record<HealthGate['signal'], MetricSource>>;

/** `mean`: a numeric telemetry field's values, from the telemetry table (one aggregate bucket spanning the range). */
export function telemetryMetrics(queries: TelemetryQueries): MetricSource {
  return {
    async sample(workspaceId, thingName, field, from, to) {
      const buckets = await queries.aggregate({ workspaceId, thingName }, field, { from, to, bucket: to - from + 1 });
      if ('problem' in buckets) return { sum: 0, count: 0, problem: buckets.problem };
      return buckets.reduce((total, bucket) => ({ sum: total.sum + bucket.avg * bucket.count, count: total.count + bucket.count }), { sum: 0, count: 0 });
    },
  };
}

/**
 * `anomalyRate`: the share of a field's values the analytics service found anomalous (the sum is
 * anomalies, the count values), over what it has analysed: the range ends where its lag begins.
 */
export function anomalyRates(anomalies: AnomalyCounts, queries: TelemetryQueries): MetricSource {
  const values = telemetryMetrics(queries);
  return {
    async sample(workspaceId, thingName, field, from, to) {
      const lag = anomalies.lagMs();
      const analysedTo = to - lag;
      if (analysedTo < from) return { sum: 0, count: 0, ...(to - from > 0 && lag > to - from ? { problem: `the analytics service is ${Math.round(lag / 1000)} s behind the telemetry` } : {}) };
      const points = await values.sample(workspaceId, thingName, field, from, analysedTo);
      const found = await anomalies.count(workspaceId, thingName, { from, to: analysedTo, field });
      return { sum: Math.min(found, points.count), count: points.count, ...(points.problem ? { problem: points.problem } : {}) };
    },
  };
}

const keyOf = (job: { workspaceId: string; jobId: string }): string => `${job.workspaceId}/${job.jobId}`;

/** How often rollouts are advanced. */
const TICK_MS = 250;
/** The most targets told in one tick, shared by the jobs that tick, so a tick stays short. */
const RELEASE_BATCH = 1000;
/** The most things of each side whose telemetry one health check reads. */
const HEALTH_SAMPLE_THINGS = 200;

/**
 * Rollouts: a job with a rollout config, a start time, abort criteria or a health gate keeps its
 * targets WAITING and tells them a few at a time, as AWS IoT Jobs' rollout does. A tick advances
 * every such job in the jobs queue (so it is serialised with the devices' requests): a SCHEDULED
 * job starts at its time, and targets are told at the rate its config allows. A job's health gate
 * is checked outside the queue (it reads telemetry), then its finding applied in it.
 */
export class RolloutService {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** Health checks under way, by job. */
  private readonly checking = new Map<string, Promise<void>>();
  /** Advances that failed in a row, by job. */
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly repository: JobRepository,
    private readonly jobs: JobsService,
    private readonly signals: RolloutSignals,
    private readonly logger: Logger,
  ) {}

  /** Whether this hub can read the signal a health gate names. */
  supports(gate: HealthGate): boolean {
    return this.signals[gate.signal] !== undefined;
  }

  /** The running state a new job with a rollout starts with. */
  initialState(): RolloutRunState {
    return initialRunState(this.jobs.now());
  }

  /**
   * Tells targets of the job what the rollout allows now, in the current transaction: every
   * waiting target (up to a batch) of a job without a rate, else as many as its credit allows.
   */
  advance(job: JobRecord, batch = RELEASE_BATCH): { job: JobRecord; messages: OutboundMessage[] } {
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
      if (current === job) return { job, messages: [] };
      this.repository.updateJob(current);
      return { job: current, messages: this.jobs.finishJobIfDone(current, now) };
    }
    let allowed = batch;
    let next = state;
    if (settings.rate) {
      // Only an exponential rate looks at progress. Each target told has one execution, so those count the told.
      const counts = settings.rate.exponentialRate ? this.repository.executionCounts(current.workspaceId, current.jobId) : undefined;
      const progress = counts ? { notified: Object.values(counts).reduce((sum, n) => sum + n, 0), succeeded: counts.SUCCEEDED } : { notified: 0, succeeded: 0 };
      const raised = raiseRate(settings.rate, state, progress);
      next = earnCredit(raised.state, raised.ratePerMinute, now);
      allowed = Math.floor(next.credit);
    }
    const waiting = allowed > 0 ? this.repository.waitingTargets(current.workspaceId, current.jobId, Math.min(allowed, batch)) : [];
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
      if (job.status === 'IN_PROGRESS' && this.repository.waitingTargets(workspaceId, jobId, 1).length === 0) {
        throw conflict(`every target of job ${jobId} was told already: there is nothing to pause (cancel it instead)`);
      }
      this.pauseIn(job, reason, this.jobs.now());
    });
  }

  /**
   * Resumes a paused rollout. Credit starts again from now, so no burst makes up for the pause,
   * and the health gate judges only what happens from now on.
   */
  async resume(workspaceId: string, jobId: string): Promise<void> {
    const messages = await this.jobs.run(() => {
      const job = this.rolloutJob(workspaceId, jobId);
      const state = job.rolloutState ?? this.initialState();
      if (!state.paused) throw conflict(`job ${jobId}'s rollout is not paused`);
      const { paused: _paused, lastHealthCheck: _check, ...rest } = state;
      const now = this.jobs.now();
      const resumed: JobRecord = { ...job, rolloutState: { ...rest, lastTickAt: now, resumedAt: now } };
      this.repository.updateJob(resumed);
      this.repository.appendEvent({ workspaceId, jobId, at: now, type: 'rollout.resumed' });
      // Targets deleted while it was paused may have left it nothing to do.
      return this.jobs.finishJobIfDone(resumed, now);
    });
    await this.jobs.publishAll(messages);
  }

  /** Advances every rollout once and checks the health gates that are due; resolves when both are done. */
  async tick(): Promise<void> {
    await this.tickOnce();
    await Promise.all(this.checking.values());
  }

  /** One tick, unless one is under way; health checks it starts go on after it. */
  private tickOnce(): Promise<void> {
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Starts ticking; it keeps no process alive. */
  start(): void {
    this.timer ??= setInterval(() => {
      this.tickOnce().catch((error: unknown) => this.logger.error({ err: error }, 'rollout tick failed'));
    }, TICK_MS).unref();
  }

  /** Stops ticking and waits for a tick and the health checks under way (their failures were logged already). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking?.catch(() => undefined);
    await Promise.all(this.checking.values());
  }

  /**
   * Advances every rollout, all in one commit (each job in a savepoint of its own, so one that
   * fails leaves the others alone), sharing one batch of targets between the jobs, then sends what
   * they caused in order. Health checks that are due start beside the ticks, one per job at a time.
   */
  private async runTick(): Promise<void> {
    const active = this.repository.activeRollouts();
    const now = this.jobs.now();
    // A scheduled job before its time, or a running one that told every target, has nothing to advance.
    const moving = active.filter((found) =>
      found.status === 'SCHEDULED' ? (found.rollout?.startAt ?? 0) <= now : this.repository.waitingTargets(found.workspaceId, found.jobId, 1).length > 0,
    );
    const share = Math.max(1, Math.floor(RELEASE_BATCH / Math.max(1, moving.length)));
    const results = await Promise.all(
      moving.map((found) =>
        this.jobs
          .run(() => {
            const fresh = this.repository.getJob(found.workspaceId, found.jobId);
            return fresh ? this.advance(fresh, share) : { job: found, messages: [] };
          })
          .then(
            (result) => {
              this.failures.delete(keyOf(found));
              return result;
            },
            (error: unknown) => {
              // Logged the first time and then now and again, not four times a second.
              const failures = (this.failures.get(keyOf(found)) ?? 0) + 1;
              this.failures.set(keyOf(found), failures);
              if (failures === 1 || failures % 240 === 0) this.logger.error({ err: error, jobId: found.jobId, workspaceId: found.workspaceId, failures }, 'rollout could not advance');
              return undefined;
            },
          ),
      ),
    );
    // One after the other, in the order they were committed: a thing targeted by two rollouts hears the latest last.
    await this.jobs.publishAll(results.flatMap((result) => result?.messages ?? []));
    const advanced = new Map(results.flatMap((result) => (result ? [[keyOf(result.job), result.job] as const] : [])));
    for (const found of active) {
      const job = advanced.get(keyOf(found)) ?? found;
      const gate = job.rollout?.healthGate;
      if (!gate || this.checking.has(keyOf(job)) || !this.healthCheckDue(job, gate)) continue;
      const source = this.signals[gate.signal];
      const check = (source ? this.checkHealth(job, gate, source) : this.pauseUnreadable(job, gate))
        .catch((error: unknown) => this.logger.error({ err: error, jobId: job.jobId, workspaceId: job.workspaceId }, 'rollout health check failed'))
        .finally(() => this.checking.delete(keyOf(job)));
      this.checking.set(keyOf(job), check);
    }
  }

  /** A gate whose signal this hub cannot read (the job came from a hub that could) pauses its rollout rather than let it go on unchecked. */
  private async pauseUnreadable(job: JobRecord, gate: HealthGate): Promise<void> {
    await this.jobs.run(() => {
      const fresh = this.repository.getJob(job.workspaceId, job.jobId);
      if (!fresh || fresh.status !== 'IN_PROGRESS' || fresh.rolloutState?.paused) return;
      this.pauseIn(fresh, `health gate: this platform cannot read the signal ${gate.signal}`, this.jobs.now(), { byGate: true });
    });
  }

  /**
   * Pauses a job's rollout in the current transaction, in its history too. A pause by the health
   * gate marks the job updated and its event HEALTH_GATE; a person's keeps lastUpdatedAt.
   */
  private pauseIn(job: JobRecord, reason: string, now: number, how: { byGate?: boolean; state?: RolloutRunState } = {}): void {
    const state = how.state ?? job.rolloutState ?? this.initialState();
    this.repository.updateJob({ ...job, ...(how.byGate ? { lastUpdatedAt: now } : {}), rolloutState: { ...state, paused: { reason } } });
    this.repository.appendEvent({ workspaceId: job.workspaceId, jobId: job.jobId, at: now, type: 'rollout.paused', ...(how.byGate ? { reasonCode: 'HEALTH_GATE' as const } : {}), detail: reason });
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
    // After a resume, only what came since counts: the person who resumed has seen what came before.
    const from = Math.max(now - gate.windowSeconds * 1000, job.rolloutState?.resumedAt ?? 0);
    const executions = this.repository.executionsOfJob(job.workspaceId, job.jobId);
    const updated = executions
      .filter((execution) => execution.status === 'SUCCEEDED')
      .slice(-HEALTH_SAMPLE_THINGS)
      .map((execution) => ({ thingName: execution.thingName, since: Math.max(from, execution.lastUpdatedAt) }));
    const notUpdated = [
      ...executions.filter((execution) => isPending(execution.status)).map((execution) => execution.thingName),
      ...this.repository.waitingTargets(job.workspaceId, job.jobId, HEALTH_SAMPLE_THINGS),
    ].slice(0, HEALTH_SAMPLE_THINGS);
    const total = (samples: MetricSample[]): MetricSample =>
      samples.reduce<MetricSample>(
        (sum, sample) => ({ sum: sum.sum + sample.sum, count: sum.count + sample.count, ...((sum.problem ?? sample.problem) ? { problem: (sum.problem ?? sample.problem) as string } : {}) }),
        { sum: 0, count: 0 },
      );
    const updatedSample = total(await Promise.all(updated.map(({ thingName, since }) => metrics.sample(job.workspaceId, thingName, gate.field, since, now))));
    const baselineSample = total(await Promise.all(notUpdated.map((thingName) => metrics.sample(job.workspaceId, thingName, gate.field, from, now))));
    const problem = updatedSample.problem ?? baselineSample.problem;
    // A gate that cannot see does not let the rollout go on: it pauses it (never cancels), saying why.
    const judgement = problem ? { healthy: false, finding: `cannot judge: ${problem}` } : judgeHealth(gate, updatedSample, baselineSample);
    if (problem) this.logger.warn({ jobId: job.jobId, workspaceId: job.workspaceId, problem }, 'rollout health gate could not read its signal');
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
      if (judgement.healthy) {
        this.repository.updateJob({ ...fresh, rolloutState: state });
        return [];
      }
      if (gate.action === 'PAUSE' || problem) {
        this.pauseIn(fresh, `health gate: ${judgement.finding}`, now, { byGate: true, state });
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
