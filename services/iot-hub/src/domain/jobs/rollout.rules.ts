import type { AbortCriteria, AbortConfig, HealthGate, JobExecutionStatus, JobExecutionsRolloutConfig } from '@citus/contracts';
import type { RolloutRunState } from './job.model.js';

const MINUTE_MS = 60_000;

/** AWS IoT's highest rollout rate; a job without a rate config tells every target at once. */
export const MAX_RATE_PER_MINUTE = 1000;

export type ExecutionCounts = Record<JobExecutionStatus, number>;

/** The state a rollout starts in: one target may be told at once. */
export function initialRunState(now: number): RolloutRunState {
  return { credit: 1, lastTickAt: now, increases: 0, notifiedAtIncrease: 0, succeededAtIncrease: 0 };
}

/**
 * The rate after raising the exponential rate as often as its criterion was met since the last
 * raise, given how many targets were told and how many executions succeeded so far.
 */
export function raiseRate(
  config: JobExecutionsRolloutConfig,
  state: RolloutRunState,
  progress: { notified: number; succeeded: number },
): { ratePerMinute: number; state: RolloutRunState } {
  const ceiling = config.maximumPerMinute ?? MAX_RATE_PER_MINUTE;
  const exponential = config.exponentialRate;
  if (!exponential) return { ratePerMinute: ceiling, state };
  const { numberOfNotifiedThings: byNotified, numberOfSucceededThings: bySucceeded } = exponential.rateIncreaseCriteria;
  let next = state;
  const rateOf = (increases: number): number => Math.min(ceiling, exponential.baseRatePerMinute * exponential.incrementFactor ** increases);
  // Each raise needs the criterion met again from the last one; at the ceiling there is nothing to raise.
  while (rateOf(next.increases) < ceiling) {
    if (byNotified !== undefined && progress.notified - next.notifiedAtIncrease >= byNotified) {
      next = { ...next, increases: next.increases + 1, notifiedAtIncrease: next.notifiedAtIncrease + byNotified, succeededAtIncrease: progress.succeeded };
    } else if (bySucceeded !== undefined && progress.succeeded - next.succeededAtIncrease >= bySucceeded) {
      next = { ...next, increases: next.increases + 1, succeededAtIncrease: next.succeededAtIncrease + bySucceeded, notifiedAtIncrease: progress.notified };
    } else {
      break;
    }
  }
  return { ratePerMinute: rateOf(next.increases), state: next };
}

/**
 * Adds the credit the time since the last tick earned at `ratePerMinute`. Credit is capped at a
 * second's worth (at least one target), so a rollout that waited does not tell a burst at once.
 */
export function earnCredit(state: RolloutRunState, ratePerMinute: number, now: number): RolloutRunState {
  const cap = Math.max(1, ratePerMinute / 60);
  const earned = (Math.max(0, now - state.lastTickAt) * ratePerMinute) / MINUTE_MS;
  return { ...state, credit: Math.min(cap, state.credit + earned), lastTickAt: now };
}

const FAILURES: Record<AbortCriteria['failureType'], readonly JobExecutionStatus[]> = {
  FAILED: ['FAILED'],
  REJECTED: ['REJECTED'],
  TIMED_OUT: ['TIMED_OUT'],
  ALL: ['FAILED', 'REJECTED', 'TIMED_OUT'],
};

/** Executions that ran to an end of their own (not canceled or removed): the base of abort percentages. */
export function executedCount(counts: ExecutionCounts): number {
  return counts.SUCCEEDED + counts.FAILED + counts.REJECTED + counts.TIMED_OUT;
}

/**
 * The first criterion the executions meet, if any: at least `minNumberOfExecutedThings` executed,
 * and the failures of its type at least `thresholdPercentage` of them.
 */
export function abortCriterionMet(config: AbortConfig, counts: ExecutionCounts): { criterion: AbortCriteria; finding: string } | undefined {
  const executed = executedCount(counts);
  for (const criterion of config.criteriaList) {
    if (executed < criterion.minNumberOfExecutedThings) continue;
    const failures = FAILURES[criterion.failureType].reduce((sum, status) => sum + counts[status], 0);
    const percentage = (failures * 100) / executed;
    if (percentage >= criterion.thresholdPercentage) {
      return {
        criterion,
        finding: `${failures} of ${executed} executed things ended ${criterion.failureType} (${round2(percentage)} %, the threshold is ${criterion.thresholdPercentage} %)`,
      };
    }
  }
  return undefined;
}

/** Sum and count of a metric's values over a set of things. */
export interface MetricSample {
  sum: number;
  count: number;
  /** Why some of it could not be read (a store's read limit), when that happened. */
  problem?: string;
}

export interface HealthJudgement {
  healthy: boolean;
  updatedMean?: number;
  baselineMean?: number;
  finding: string;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

/** What the gate measures, as its findings name it. */
function signalName(gate: HealthGate): string {
  if (gate.signal === 'anomalyRate') return `the anomalous share of ${gate.field}`;
  return `mean ${gate.field}`;
}

/** Judges the updated things' signal against the gate's bounds and the things not yet updated. */
export function judgeHealth(gate: HealthGate, updated: MetricSample, baseline: MetricSample): HealthJudgement {
  const baselineMean = baseline.count > 0 ? baseline.sum / baseline.count : undefined;
  if (updated.count < gate.minSamples) {
    return { healthy: true, ...(baselineMean === undefined ? {} : { baselineMean }), finding: `${updated.count} of ${gate.minSamples} samples from updated things so far` };
  }
  const updatedMean = updated.sum / updated.count;
  const means = { updatedMean, ...(baselineMean === undefined ? {} : { baselineMean }) };
  const field = signalName(gate);
  if (gate.maxMean !== undefined && updatedMean > gate.maxMean) {
    return { healthy: false, ...means, finding: `${field} of updated things is ${round2(updatedMean)}, above the gate's maximum ${gate.maxMean}` };
  }
  if (gate.minMean !== undefined && updatedMean < gate.minMean) {
    return { healthy: false, ...means, finding: `${field} of updated things is ${round2(updatedMean)}, below the gate's minimum ${gate.minMean}` };
  }
  if (gate.maxIncreasePercent !== undefined && baselineMean !== undefined) {
    const increase = baselineMean === 0 ? (updatedMean > 0 ? Number.POSITIVE_INFINITY : 0) : ((updatedMean - baselineMean) * 100) / Math.abs(baselineMean);
    if (increase > gate.maxIncreasePercent) {
      return {
        healthy: false,
        ...means,
        finding:
          `${field} of updated things is ${round2(updatedMean)}, ${Number.isFinite(increase) ? `${round2(increase)} %` : 'infinitely'} ` +
          `above the ${round2(baselineMean)} of things not yet updated (the gate allows ${gate.maxIncreasePercent} %)`,
      };
    }
  }
  return { healthy: true, ...means, finding: `${field} of updated things is ${round2(updatedMean)}, within the gate` };
}
