import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateJobRequest, HealthGate, type JobExecutionStatus } from '@citus/contracts';
import { createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { JOB_MIGRATIONS, SqliteJobRepository } from '../src/adapters/sqlite/job.repository.js';
import { JobControlService } from '../src/app/job-control.service.js';
import { JobsService } from '../src/app/jobs.service.js';
import { anomalyRates, RolloutService } from '../src/app/rollout.service.js';
import { SqliteTelemetryQueryRepository } from '../src/adapters/sqlite/telemetry-query.repository.js';
import { aRecord, telemetryStore, type TelemetryStore } from './support/telemetry-fixture.js';
import { ANALYTICS_MIGRATIONS } from '../../analytics/src/adapters/sqlite/analytics.migrations.js';
import { SqliteDetectionStore } from '../../analytics/src/adapters/sqlite/detection.store.js';
import { abortCriterionMet, earnCredit, initialRunState, judgeHealth, raiseRate } from '../src/domain/jobs/rollout.rules.js';
import type { OutboundMessage } from '../src/domain/message-publisher.port.js';

const WS = 'ws_rollouts';
const T0 = Date.UTC(2026, 0, 1, 12);
const SECOND = 1000;
const logger = createLogger({ level: 'silent' });
const THINGS = Array.from({ length: 12 }, (_, i) => `thing-${String(i).padStart(2, '0')}`);

interface Fixture {
  dir: string;
  db: SqliteDatabase;
  analyticsDb: SqliteDatabase;
  anomalies: SqliteDetectionStore;
  telemetry: TelemetryStore;
  /** How far behind the telemetry the analytics service says it is. */
  analyticsLag: { ms: number };
  jobs: JobsService;
  rollouts: RolloutService;
  control: JobControlService;
  sent: OutboundMessage[];
  clock: { now: number };
}

function fixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'citus-rollouts-'));
  const db = openDatabase(join(dir, 'jobs.db'), { module: 'jobs', migrations: JOB_MIGRATIONS });
  const repository = new SqliteJobRepository(db);
  const sent: OutboundMessage[] = [];
  const clock = { now: T0 };
  const jobs = new JobsService(repository, { publish: async (message: OutboundMessage) => void sent.push(message) }, logger, { now: () => clock.now });
  // The analytics service's own anomaly store, as the embedded platform gives the hub.
  const analyticsDb = openDatabase(join(dir, 'analytics.db'), { module: 'analytics', migrations: ANALYTICS_MIGRATIONS });
  const anomalies = new SqliteDetectionStore(analyticsDb);
  const telemetry = telemetryStore();
  const analyticsLag = { ms: 0 };
  const counts = { count: (workspaceId: string, thingName: string, range: { from: number; to: number; field: string }) => anomalies.countAnomalies(workspaceId, thingName, range), lagMs: () => analyticsLag.ms };
  const rollouts = new RolloutService(repository, jobs, { anomalyRate: anomalyRates(counts, new SqliteTelemetryQueryRepository(telemetry.db)) }, logger);
  const control = new JobControlService(repository, jobs, rollouts, { workspaceOfThing: (name) => (name.startsWith('thing-') ? WS : undefined) });
  return { dir, db, analyticsDb, anomalies, telemetry, analyticsLag, jobs, rollouts, control, sent, clock };
}

/** Things told of a job so far: those sent a `notify-next` naming it. */
const told = (sent: OutboundMessage[], jobId: string): string[] =>
  sent
    .filter((message) => message.topic.endsWith('/jobs/notify-next') && (message.payload as { execution?: { jobId: string } }).execution?.jobId === jobId)
    .map((message) => message.topic.split('/')[2] as string);

const create = (f: Fixture, request: Record<string, unknown>) => f.control.create(WS, CreateJobRequest.parse({ document: { op: 'update' }, targets: THINGS, ...request }));

async function finish(f: Fixture, thingName: string, jobId: string, status: JobExecutionStatus): Promise<void> {
  const outcome = await f.jobs.update(WS, thingName, jobId, { status });
  expect(outcome.answer).toHaveProperty('accepted');
  // The MQTT handler sends these after the answer.
  f.sent.push(...outcome.messages);
}

describe('rollouts on a real jobs.db, driven by a test clock', () => {
  let f: Fixture;
  beforeEach(() => {
    f = fixture();
  });
  afterEach(() => {
    f.db.close();
    f.analyticsDb.close();
    f.telemetry.destroy();
    rmSync(f.dir, { recursive: true, force: true });
  });

  it('tells targets no faster than maximumPerMinute, one at once and then one a second at 60 a minute', async () => {
    await create(f, { jobId: 'rate', jobExecutionsRolloutConfig: { maximumPerMinute: 60 } });
    expect(told(f.sent, 'rate')).toEqual(['thing-00']);
    expect(f.control.get(WS, 'rate').rollout).toMatchObject({ state: 'RUNNING', numberOfWaitingThings: 11, numberOfQueuedThings: 1, currentRatePerMinute: 60 });
    f.clock.now += 500;
    await f.rollouts.tick();
    expect(told(f.sent, 'rate')).toHaveLength(1);
    f.clock.now += 500;
    await f.rollouts.tick();
    expect(told(f.sent, 'rate')).toEqual(['thing-00', 'thing-01']);
    // A long wait earns a second's worth at most: no burst.
    f.clock.now += 60 * SECOND;
    await f.rollouts.tick();
    expect(told(f.sent, 'rate')).toHaveLength(3);
    for (let i = 0; i < 20; i++) {
      f.clock.now += SECOND;
      await f.rollouts.tick();
    }
    expect(told(f.sent, 'rate')).toEqual(THINGS);
    const job = f.control.get(WS, 'rate');
    expect(job.rollout).toMatchObject({ state: 'DONE', numberOfWaitingThings: 0, numberOfQueuedThings: 12 });
    expect(job.targets).toEqual(THINGS);
  });

  it('raises an exponential rate each time its criterion is met, up to maximumPerMinute', () => {
    const config = { maximumPerMinute: 500, exponentialRate: { baseRatePerMinute: 100, incrementFactor: 2, rateIncreaseCriteria: { numberOfNotifiedThings: 10 } } };
    const start = initialRunState(T0);
    expect(raiseRate(config, start, { notified: 9, succeeded: 0 }).ratePerMinute).toBe(100);
    expect(raiseRate(config, start, { notified: 10, succeeded: 0 }).ratePerMinute).toBe(200);
    const twice = raiseRate(config, start, { notified: 25, succeeded: 0 });
    expect(twice.ratePerMinute).toBe(400);
    expect(twice.state).toMatchObject({ increases: 2, notifiedAtIncrease: 20 });
    expect(raiseRate(config, twice.state, { notified: 1000, succeeded: 0 }).ratePerMinute).toBe(500);
    const bySuccess = { exponentialRate: { baseRatePerMinute: 10, incrementFactor: 1.5, rateIncreaseCriteria: { numberOfSucceededThings: 4 } } };
    expect(raiseRate(bySuccess, start, { notified: 100, succeeded: 3 }).ratePerMinute).toBe(10);
    expect(raiseRate(bySuccess, start, { notified: 100, succeeded: 4 }).ratePerMinute).toBe(15);
    // Credit: a quarter second at 240 a minute earns one target.
    expect(earnCredit({ ...start, credit: 0 }, 240, T0 + 250).credit).toBeCloseTo(1);
  });

  it('follows an exponential rate through a job: more targets a second as more are told', async () => {
    await create(f, {
      jobId: 'exp',
      jobExecutionsRolloutConfig: { exponentialRate: { baseRatePerMinute: 60, incrementFactor: 3, rateIncreaseCriteria: { numberOfNotifiedThings: 2 } } },
    });
    const perSecond: number[] = [];
    for (let second = 0; second < 4; second++) {
      const before = told(f.sent, 'exp').length;
      f.clock.now += SECOND;
      await f.rollouts.tick();
      perSecond.push(told(f.sent, 'exp').length - before);
      if (second === 1) expect(f.control.get(WS, 'exp').rollout.currentRatePerMinute).toBeGreaterThan(60);
    }
    // 60/min: one a second until two were told; then 180/min (3 a second), then 540/min.
    expect(perSecond[0]).toBe(1);
    expect(perSecond[2]).toBeGreaterThan(perSecond[0] as number);
  });

  it('holds a scheduled job until its start time, then rolls it out', async () => {
    const startTime = new Date(T0 + 30 * SECOND).toISOString();
    await create(f, { jobId: 'later', schedulingConfig: { startTime } });
    expect(f.control.get(WS, 'later')).toMatchObject({ status: 'SCHEDULED', schedulingConfig: { startTime }, rollout: { state: 'SCHEDULED', numberOfWaitingThings: 12 } });
    f.clock.now += 29 * SECOND;
    await f.rollouts.tick();
    expect(told(f.sent, 'later')).toEqual([]);
    const pending = await f.jobs.getPending(WS, 'thing-00');
    expect(pending.answer).toEqual({ accepted: expect.objectContaining({ queuedJobs: [], inProgressJobs: [] }) });
    f.clock.now += SECOND;
    await f.rollouts.tick();
    expect(told(f.sent, 'later')).toEqual(THINGS);
    expect(f.control.events(WS, 'later', { after: 0, limit: 2 }).items).toEqual([
      expect.objectContaining({ type: 'job.created', detail: `12 targets, starting ${startTime}` }),
      expect.objectContaining({ type: 'rollout.started', at: new Date(T0 + 30 * SECOND).toISOString() }),
    ]);
    expect(f.control.get(WS, 'later')).toMatchObject({ status: 'IN_PROGRESS', rollout: { state: 'DONE', numberOfQueuedThings: 12 } });
    await expect(create(f, { jobId: 'past', schedulingConfig: { startTime: new Date(T0).toISOString() } })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('aborts a job once enough executions failed: queued ones and targets not yet told are canceled', async () => {
    await create(f, {
      jobId: 'abort',
      jobExecutionsRolloutConfig: { maximumPerMinute: 300 },
      abortConfig: { criteriaList: [{ failureType: 'FAILED', action: 'CANCEL', thresholdPercentage: 50, minNumberOfExecutedThings: 4 }] },
    });
    f.clock.now += SECOND;
    await f.rollouts.tick();
    expect(told(f.sent, 'abort')).toHaveLength(6);
    await finish(f, 'thing-00', 'abort', 'SUCCEEDED');
    await finish(f, 'thing-01', 'abort', 'FAILED');
    await finish(f, 'thing-02', 'abort', 'FAILED');
    expect(f.control.get(WS, 'abort').status).toBe('IN_PROGRESS');
    await finish(f, 'thing-03', 'abort', 'IN_PROGRESS');
    // Three executed, below the minimum of four; the fourth failure makes 3 of 4.
    await finish(f, 'thing-04', 'abort', 'FAILED');
    const job = f.control.get(WS, 'abort');
    expect(job).toMatchObject({ status: 'CANCELED', reasonCode: 'ABORT_CRITERIA', comment: expect.stringContaining('3 of 4 executed things ended FAILED') });
    expect(job.rollout).toMatchObject({ state: 'DONE', numberOfWaitingThings: 0, numberOfInProgressThings: 1, numberOfCanceledThings: 7, numberOfFailedThings: 3 });
    expect(f.sent.map((message) => message.topic)).toContain('$aws/events/job/abort/canceled');
    f.clock.now += 10 * SECOND;
    await f.rollouts.tick();
    expect(told(f.sent, 'abort')).toHaveLength(6);
    // The job's history tells the same story, in order.
    const history = f.control.events(WS, 'abort', { after: 0, limit: 1000 }).items;
    expect(history[0]).toMatchObject({ sequence: expect.any(Number), type: 'job.created', detail: '12 targets' });
    expect(history.filter((event) => event.type === 'execution' && event.status === 'QUEUED')).toHaveLength(6);
    expect(history.filter((event) => event.status === 'FAILED').map((event) => event.thingName)).toEqual(['thing-01', 'thing-02', 'thing-04']);
    expect(history.find((event) => event.type === 'job.canceled')).toMatchObject({ reasonCode: 'ABORT_CRITERIA', detail: expect.stringContaining('aborted') });
    const page = f.control.events(WS, 'abort', { after: 0, limit: 3 });
    expect(page.items).toEqual(history.slice(0, 3));
    expect(f.control.events(WS, 'abort', { after: page.next as number, limit: 3 }).items).toEqual(history.slice(3, 6));
    expect(() => f.control.events('ws_other', 'abort', { after: 0, limit: 10 })).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('counts timed-out executions for a TIMED_OUT abort criterion', async () => {
    await create(f, {
      jobId: 'slow',
      timeoutConfig: { inProgressTimeoutInMinutes: 1 },
      abortConfig: { criteriaList: [{ failureType: 'TIMED_OUT', action: 'CANCEL', thresholdPercentage: 40, minNumberOfExecutedThings: 2 }] },
    });
    for (const thing of THINGS.slice(0, 2)) await finish(f, thing, 'slow', 'IN_PROGRESS');
    f.clock.now += 61 * SECOND;
    await expect(f.jobs.sweep()).resolves.toBe(2);
    expect(f.control.get(WS, 'slow')).toMatchObject({ status: 'CANCELED', reasonCode: 'ABORT_CRITERIA', rollout: { numberOfTimedOutThings: 2, numberOfCanceledThings: 10 } });
    expect(abortCriterionMet({ criteriaList: [{ failureType: 'ALL', action: 'CANCEL', thresholdPercentage: 50, minNumberOfExecutedThings: 4 }] }, {
      QUEUED: 9, IN_PROGRESS: 0, SUCCEEDED: 2, FAILED: 1, REJECTED: 1, TIMED_OUT: 0, CANCELED: 5, REMOVED: 0,
    })).toMatchObject({ finding: expect.stringContaining('2 of 4') });
  });

  it('pauses and resumes a rollout without a burst, and refuses both on a job without one', async () => {
    await create(f, { jobId: 'p', jobExecutionsRolloutConfig: { maximumPerMinute: 60 } });
    await expect(f.control.pause(WS, 'p', { comment: 'looking at the fleet' })).resolves.toMatchObject({ rollout: { state: 'PAUSED', pausedReason: 'looking at the fleet' } });
    await expect(f.control.pause(WS, 'p', {})).rejects.toMatchObject({ code: 'conflict' });
    f.clock.now += 30 * SECOND;
    await f.rollouts.tick();
    expect(told(f.sent, 'p')).toHaveLength(1);
    await expect(f.control.resume(WS, 'p')).resolves.toMatchObject({ rollout: { state: 'RUNNING' } });
    expect(f.control.events(WS, 'p', { after: 0, limit: 100 }).items.filter((event) => event.type.startsWith('rollout.'))).toEqual([
      expect.objectContaining({ type: 'rollout.paused', detail: 'looking at the fleet' }),
      expect.objectContaining({ type: 'rollout.resumed' }),
    ]);
    f.clock.now += SECOND;
    await f.rollouts.tick();
    expect(told(f.sent, 'p')).toHaveLength(2);
    await f.control.create(WS, { jobId: 'plain', targets: ['thing-00'], document: {} });
    await expect(f.control.pause(WS, 'plain', {})).rejects.toMatchObject({ code: 'conflict' });
    await expect(f.control.resume(WS, 'p')).rejects.toMatchObject({ code: 'conflict' });
    await expect(f.control.pause(WS, 'nope', {})).rejects.toMatchObject({ code: 'not_found' });
    // A job whose targets were all told at once has nothing left to pause.
    await create(f, { jobId: 'told', abortConfig: { criteriaList: [{ failureType: 'ALL', action: 'CANCEL', thresholdPercentage: 50, minNumberOfExecutedThings: 5 }] } });
    await expect(f.control.pause(WS, 'told', {})).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('nothing to pause') });
  });

  it('cancels a rolling-out job: targets not yet told are never told', async () => {
    await create(f, { jobId: 'c', jobExecutionsRolloutConfig: { maximumPerMinute: 60 } });
    const canceled = await f.control.cancel(WS, 'c', {});
    expect(canceled).toMatchObject({ status: 'CANCELED', rollout: { state: 'DONE', numberOfWaitingThings: 0, numberOfCanceledThings: 12 } });
    f.clock.now += 10 * SECOND;
    await f.rollouts.tick();
    expect(told(f.sent, 'c')).toEqual(['thing-00']);
    // Forcing it afterwards cancels nothing more and is no second cancellation in its history.
    await expect(f.control.cancel(WS, 'c', { force: true })).resolves.toMatchObject({ status: 'CANCELED', forceCanceled: true });
    expect(f.control.events(WS, 'c', { after: 0, limit: 100 }).items.filter((event) => event.type === 'job.canceled')).toHaveLength(1);
    expect(f.sent.filter((message) => message.topic === '$aws/events/job/c/canceled')).toHaveLength(1);
  });

  it("pauses on the analytics service's anomalies: a larger share of updated things' values anomalous than of the rest's", async () => {
    const gate = { signal: 'anomalyRate', field: 'temperature', windowSeconds: 600, minSamples: 10, maxIncreasePercent: 100, checkIntervalSeconds: 1, action: 'CANCEL' };
    await create(f, { jobId: 'g', jobExecutionsRolloutConfig: { maximumPerMinute: 60 }, healthGate: gate });
    await finish(f, 'thing-00', 'g', 'SUCCEEDED');
    f.clock.now += SECOND;
    await f.rollouts.tick();
    await finish(f, 'thing-01', 'g', 'SUCCEEDED');
    // Six temperatures each from the updated things since their update, three of them anomalous;
    // ten each from two of the others, one of them anomalous (and one anomaly of another field).
    const reading = (thingName: string, at: number) => ({ record: aRecord({ workspaceId: WS, thingName, topic: `telemetry/${thingName}`, receivedAt: at, document: { temperature: 20 } }) });
    const anomaly = (thingName: string, epoch: number, field = 'temperature') => ({ id: `${thingName}-${epoch}-${field}`, workspaceId: WS, thingName, field, epoch, value: 99, score: 0.99, detector: 'test' });
    const updatedAt = (n: number) => T0 + 10 * SECOND + n * SECOND;
    const baselineAt = (n: number) => T0 - 60 * SECOND + n * SECOND;
    f.telemetry.repository.write([
      ...['thing-00', 'thing-01'].flatMap((thing) => Array.from({ length: 6 }, (_, n) => reading(thing, updatedAt(n)))),
      ...['thing-05', 'thing-06'].flatMap((thing) => Array.from({ length: 10 }, (_, n) => reading(thing, baselineAt(n)))),
    ]);
    f.anomalies.commit({
      series: [],
      anomalies: [
        ...['thing-00', 'thing-01'].flatMap((thing) => [0, 2, 4].map((n) => anomaly(thing, updatedAt(n)))),
        ...['thing-05', 'thing-06'].map((thing) => anomaly(thing, baselineAt(3))),
        anomaly('thing-00', updatedAt(5), 'humidity'),
      ],
    });
    // The analytics service is far behind: the gate cannot judge, so the rollout pauses (a CANCEL gate too).
    f.analyticsLag.ms = 700_000;
    f.clock.now = T0 + 120 * SECOND;
    await f.rollouts.tick();
    expect(f.control.get(WS, 'g')).toMatchObject({ status: 'IN_PROGRESS', rollout: { state: 'PAUSED', pausedReason: 'health gate: cannot judge: the analytics service is 700 s behind the telemetry' } });

    // Caught up and resumed: what came since the resume is all it judges, and that is not enough yet.
    f.analyticsLag.ms = 0;
    await f.control.resume(WS, 'g');
    f.clock.now += SECOND;
    await f.rollouts.tick();
    expect(f.control.get(WS, 'g').rollout).toMatchObject({ state: 'RUNNING', lastHealthCheck: { healthy: true, finding: '0 of 10 samples from updated things so far' } });

    // A job judging the whole window: half the updated things' values anomalous against a tenth of the others' cancels it.
    f.clock.now = T0 + 120 * SECOND;
    await create(f, { jobId: 'h', targets: ['thing-00', 'thing-01', 'thing-05', 'thing-06'], jobExecutionsRolloutConfig: { maximumPerMinute: 1 }, healthGate: gate });
    for (const thing of ['thing-00', 'thing-01']) {
      await f.rollouts.tick();
      await finish(f, thing, 'h', 'SUCCEEDED');
      f.clock.now += 60 * SECOND;
    }
    // Their updates came after the readings above: written again, later, so they count.
    const later = (n: number) => f.clock.now - 30 * SECOND + n * SECOND;
    f.telemetry.repository.write(['thing-00', 'thing-01'].flatMap((thing) => Array.from({ length: 6 }, (_, n) => reading(thing, later(n)))));
    f.anomalies.commit({ series: [], anomalies: ['thing-00', 'thing-01'].flatMap((thing) => [0, 2, 4].map((n) => anomaly(thing, later(n)))) });
    f.clock.now += SECOND;
    await f.rollouts.tick();
    const canceled = f.control.get(WS, 'h');
    expect(canceled).toMatchObject({ status: 'CANCELED', reasonCode: 'HEALTH_GATE' });
    expect(canceled.comment).toMatch(/^health gate: the anomalous share of temperature of updated things is 0\.5, 400 % above the 0\.1 of things not yet updated/);
  });

  it('drops a deleted thing that was waiting, and completes the job when the rest are done', async () => {
    await create(f, { jobId: 'd', targets: ['thing-00', 'thing-01'], jobExecutionsRolloutConfig: { maximumPerMinute: 1 } });
    await f.jobs.removeThing(WS, 'thing-01');
    await finish(f, 'thing-00', 'd', 'SUCCEEDED');
    expect(f.control.get(WS, 'd')).toMatchObject({ status: 'COMPLETED', rollout: { numberOfSucceededThings: 1, numberOfRemovedThings: 1, numberOfCanceledThings: 0, numberOfWaitingThings: 0 } });
    expect(f.control.events(WS, 'd', { after: 0, limit: 100 }).items).toContainEqual(expect.objectContaining({ type: 'execution', thingName: 'thing-01', status: 'REMOVED' }));
  });

  it('refuses rollout settings AWS refuses', () => {
    const refused = [
      { jobExecutionsRolloutConfig: {} },
      { jobExecutionsRolloutConfig: { maximumPerMinute: 1001 } },
      { jobExecutionsRolloutConfig: { maximumPerMinute: 10, exponentialRate: { baseRatePerMinute: 20, incrementFactor: 2, rateIncreaseCriteria: { numberOfNotifiedThings: 1 } } } },
      { jobExecutionsRolloutConfig: { exponentialRate: { baseRatePerMinute: 20, incrementFactor: 1.05, rateIncreaseCriteria: { numberOfNotifiedThings: 1 } } } },
      { jobExecutionsRolloutConfig: { exponentialRate: { baseRatePerMinute: 20, incrementFactor: 2, rateIncreaseCriteria: { numberOfNotifiedThings: 1, numberOfSucceededThings: 1 } } } },
      { abortConfig: { criteriaList: [{ failureType: 'FAILED', action: 'CANCEL', thresholdPercentage: 10.999, minNumberOfExecutedThings: 1 }] } },
      { abortConfig: { criteriaList: [{ failureType: 'LOST', action: 'CANCEL', thresholdPercentage: 10, minNumberOfExecutedThings: 1 }] } },
      { schedulingConfig: { startTime: 'tomorrow' } },
      { jobExecutionsRolloutConfig: { maximumPerMinute: 10 }, healthGate: { field: 'temperature' } },
      { jobExecutionsRolloutConfig: { maximumPerMinute: 10 }, healthGate: { field: 'a..b', maxMean: 1 } },
      { jobExecutionsRolloutConfig: { maximumPerMinute: 10 }, healthGate: { maxMean: 1 } },
      { jobExecutionsRolloutConfig: { maximumPerMinute: 10 }, healthGate: { field: 'cpu', minMean: 5, maxMean: 4 } },
      // Without a rate every target is told at once: there would be nothing left to gate.
      { healthGate: { field: 'cpu', maxMean: 90 } },
    ];
    for (const settings of refused) {
      expect(CreateJobRequest.safeParse({ targets: ['thing-00'], document: {}, ...settings }).success).toBe(false);
    }
  });

  it('judges a health gate on the updated things against its bounds and the things not yet updated', () => {
    const gate = HealthGate.parse({ field: 'cpu', minSamples: 5, maxIncreasePercent: 50, maxMean: 90 });
    expect(judgeHealth(gate, { sum: 400, count: 4 }, { sum: 100, count: 10 })).toMatchObject({ healthy: true, finding: expect.stringContaining('4 of 5 samples') });
    expect(judgeHealth(gate, { sum: 70, count: 5 }, { sum: 100, count: 10 })).toMatchObject({ healthy: true, updatedMean: 14, baselineMean: 10 });
    expect(judgeHealth(gate, { sum: 80, count: 5 }, { sum: 100, count: 10 })).toMatchObject({ healthy: false, finding: expect.stringContaining('60 %') });
    expect(judgeHealth(gate, { sum: 455, count: 5 }, { sum: 0, count: 0 })).toMatchObject({ healthy: false, finding: expect.stringContaining('above the gate\'s maximum 90') });
    expect(judgeHealth(HealthGate.parse({ field: 'battery', minMean: 3.3, minSamples: 1 }), { sum: 3.1, count: 1 }, { sum: 0, count: 0 }).healthy).toBe(false);
  });
});
