import { FLAT_GROWTH_SHARE, type MemorySummary } from './memory-trend.js';
import type { PacedResult } from './paced-phase.js';
import type { VisibilityFigures } from './probe-poller.js';

/** The figures of issue 5 point 6, on the embedded default (durable, QoS 1 over TLS, 2 cores). */
export const GOALS = {
  platformMsgsPerSec: 20_000,
  sustainedSeconds: 300,
  baselineShare: 0.6,
  pacedRateShare: 0.95,
  queryableP99Ms: 1_000,
  indexerLagP99Ms: 2_000,
} as const;

export type Verdict = 'PASS' | 'FAIL' | 'n/a';

export interface GoalRow {
  goal: string;
  measured: string;
  verdict: Verdict;
}

export interface GoalInputs {
  durationSeconds: number;
  platformMsgsPerSec: number | undefined;
  baselineMsgsPerSec: number | undefined;
  memory: MemorySummary | null | undefined;
  paced: PacedResult | undefined;
}

const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const verdict = (pass: boolean | undefined): Verdict => (pass === undefined ? 'n/a' : pass ? 'PASS' : 'FAIL');

function visibilityRow(what: string, limitMs: number, rate: string, figures: VisibilityFigures | undefined): GoalRow {
  const goal = `p99 ${what} <= ${int(limitMs)} ms at ${rate} msg/s`;
  if (!figures || figures.probes === 0) return { goal, measured: 'not measured', verdict: 'n/a' };
  const unseen = figures.unseen > 0 ? `, ${figures.unseen} of ${figures.probes} never seen` : '';
  const measured = `${Number.isFinite(figures.p99Ms) ? `${int(figures.p99Ms)} ms` : 'none seen'}${unseen}`;
  return { goal, measured, verdict: verdict(figures.unseen === 0 && figures.p99Ms <= limitMs) };
}

function memoryRow(memory: MemorySummary | null | undefined): GoalRow {
  const goal = `platform RSS flat (2nd-half growth < ${FLAT_GROWTH_SHARE * 100} % of its RSS)`;
  if (!memory) return { goal, measured: 'not measured', verdict: 'n/a' };
  const sign = memory.secondHalfGrowthMbPerMinute >= 0 ? '+' : '';
  const measured = `${sign}${memory.secondHalfGrowthMbPerMinute.toFixed(1)} MiB/min, ${sign}${(memory.secondHalfGrowthShare * 100).toFixed(1)} %`;
  return { goal, measured, verdict: verdict(memory.flat) };
}

/** One row a goal, with what this run measured and whether that meets it ("n/a" where the run did not measure it). */
export function evaluateGoals(inputs: GoalInputs): GoalRow[] {
  const { platformMsgsPerSec: platform, baselineMsgsPerSec: baseline, paced } = inputs;
  const share = platform !== undefined && baseline !== undefined && baseline > 0 ? platform / baseline : undefined;
  const pacedRate = paced ? int(paced.targetRate) : int(10_000);
  return [
    {
      goal: `platform msgs/s (durable, max rate) >= ${int(GOALS.platformMsgsPerSec)}`,
      measured: platform === undefined ? 'not measured' : int(platform),
      verdict: verdict(platform === undefined ? undefined : platform >= GOALS.platformMsgsPerSec),
    },
    { goal: `sustained for >= ${GOALS.sustainedSeconds} s`, measured: `${inputs.durationSeconds} s`, verdict: verdict(inputs.durationSeconds >= GOALS.sustainedSeconds) },
    {
      goal: `platform / baseline >= ${GOALS.baselineShare}`,
      measured: share === undefined ? 'not measured' : share.toFixed(2),
      verdict: verdict(share === undefined ? undefined : share >= GOALS.baselineShare),
    },
    memoryRow(inputs.memory),
    {
      goal: `paced rate achieved >= ${GOALS.pacedRateShare * 100} % of ${pacedRate} msg/s`,
      measured: paced ? `${int(paced.achievedRate)} msg/s` : 'not measured',
      verdict: verdict(paced ? paced.achievedRate >= GOALS.pacedRateShare * paced.targetRate : undefined),
    },
    visibilityRow('publish-to-queryable', GOALS.queryableP99Ms, pacedRate, paced?.queryable),
    visibilityRow('indexer lag (publish-to-searchable)', GOALS.indexerLagP99Ms, pacedRate, paced?.indexed),
  ];
}
