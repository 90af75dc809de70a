import { machineInfo, table, type MachineInfo } from '../ingest/ingest-report.js';
import type { RuleFamily } from './rule-set.js';
import type { RulesOptions } from './rules-options.js';
import type { ShadowFigures } from './rule-effects.js';

/** Issue 4 point 7: with the rules, at most 20 % slower. */
export const GOAL_RATIO = 0.8;

export interface PhaseResult {
  /** Enabled rules of the workspace during the phase, `store_telemetry` included. */
  enabledRules: number;
  published: number;
  /** Publishes acknowledged (PUBACK), on every topic of the mix. */
  acked: number;
  /** Of those, on telemetry topics: the ones the platform must have stored. */
  ackedTelemetry: number;
  /** Messages the platform holds from this phase, read through GET /api/v1/telemetry. */
  stored: number;
  lost: number;
  seconds: number;
  /** Acknowledged messages a second, from the first publish to the last PUBACK. */
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU over the publishing (and the close), as percent of one core; the platform's is null without procfs. */
  cpu: { platformCorePercent: number | null; benchCorePercent: number };
}

/** What the rules did, seen from outside the hub. */
export interface RuleActivity {
  families: Record<RuleFamily, number>;
  /** POSTs the receiver got: when the load stopped, and once the dispatcher had settled. */
  httpAtLoadEnd: number;
  httpSettled: number;
  httpSigned: number;
  /** Republishes the observer thing's connection received. */
  observedRepublishesAtLoadEnd: number;
  observedRepublishesSettled: number;
  shadows: ShadowFigures;
  settleSeconds: number;
  /** Samples of GET /metrics naming rules; empty when the hub exposes none. */
  metrics: string[];
}

export interface RulesReport {
  benchmark: 'rules';
  finishedAt: string;
  config: Omit<RulesOptions, 'profileDir'> & { qos: 1; transport: string; topics: string[] };
  machine: MachineInfo;
  /** Each kind of phase over all rounds (see `combinePhases`). */
  phases: { defaultRule: PhaseResult; withRules: PhaseResult };
  /** The phases of each round, in the order they ran, with the round's own ratio. */
  rounds: Array<{ defaultRule: PhaseResult; withRules: PhaseResult; ratio: number }>;
  activity: RuleActivity;
  /** Every correctness check of the run, in words; a failed one also fails the process. */
  failures: string[];
  ratio: number;
  goal: { ratioAtLeast: number; met: boolean };
}

const ratioOf = (phases: { defaultRule: PhaseResult; withRules: PhaseResult }): number =>
  phases.defaultRule.msgsPerSec > 0 ? phases.withRules.msgsPerSec / phases.defaultRule.msgsPerSec : 0;

/**
 * One kind of phase over its rounds: counts and seconds added up, so msg/s is all its messages over
 * all its time; p50 the rounds' mean, p99 the worst round's; CPU weighted by time.
 */
export function combinePhases(phases: PhaseResult[]): PhaseResult {
  const sum = (pick: (phase: PhaseResult) => number) => phases.reduce((total, phase) => total + pick(phase), 0);
  const seconds = sum((phase) => phase.seconds);
  const weighted = (pick: (phase: PhaseResult) => number) => (seconds > 0 ? sum((phase) => pick(phase) * phase.seconds) / seconds : 0);
  const platformKnown = phases.every((phase) => phase.cpu.platformCorePercent !== null);
  return {
    enabledRules: phases[0]?.enabledRules ?? 0,
    published: sum((phase) => phase.published),
    acked: sum((phase) => phase.acked),
    ackedTelemetry: sum((phase) => phase.ackedTelemetry),
    stored: sum((phase) => phase.stored),
    lost: sum((phase) => phase.lost),
    seconds,
    msgsPerSec: seconds > 0 ? sum((phase) => phase.acked) / seconds : 0,
    p50Ms: sum((phase) => phase.p50Ms) / Math.max(1, phases.length),
    p99Ms: Math.max(...phases.map((phase) => phase.p99Ms)),
    cpu: {
      platformCorePercent: platformKnown ? weighted((phase) => phase.cpu.platformCorePercent ?? 0) : null,
      benchCorePercent: weighted((phase) => phase.cpu.benchCorePercent),
    },
  };
}

export function buildRulesReport(options: RulesOptions, rounds: Array<{ defaultRule: PhaseResult; withRules: PhaseResult }>, activity: RuleActivity, failures: string[]): RulesReport {
  const { devices, durationSeconds, window, rules } = options;
  const phases = { defaultRule: combinePhases(rounds.map((round) => round.defaultRule)), withRules: combinePhases(rounds.map((round) => round.withRules)) };
  const ratio = ratioOf(phases);
  return {
    benchmark: 'rules',
    finishedAt: new Date().toISOString(),
    config: {
      devices,
      durationSeconds,
      rounds: rounds.length,
      window,
      rules,
      qos: 1,
      transport: 'MQTT 3.1.1 over TLS (mqtts) on 127.0.0.1',
      topics: ['telemetry/{thing}', 'telemetry/{thing}/env', 'things/{thing}/status'],
    },
    machine: machineInfo(),
    phases,
    rounds: rounds.map((round) => ({ ...round, ratio: ratioOf(round) })),
    activity,
    failures,
    ratio,
    goal: { ratioAtLeast: GOAL_RATIO, met: ratio >= GOAL_RATIO },
  };
}

const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');

function phaseRow(name: string, phase: PhaseResult): string[] {
  const durable = `${int(phase.stored)} / ${int(phase.ackedTelemetry)}`;
  const { platformCorePercent, benchCorePercent } = phase.cpu;
  const cpu = `${platformCorePercent === null ? 'n/a' : platformCorePercent.toFixed(0)} / ${benchCorePercent.toFixed(0)}`;
  const cells = [int(phase.acked), durable, int(phase.lost), phase.seconds.toFixed(2), int(phase.msgsPerSec), ms(phase.p50Ms), ms(phase.p99Ms), cpu];
  return [name, String(phase.enabledRules), ...cells];
}

function printActivity(activity: RuleActivity, withRules: PhaseResult): void {
  const families = Object.entries(activity.families).map(([family, count]) => `${count} ${family}`).join(', ');
  console.log(`\nrules added: ${families}`);
  const perMessage = withRules.acked > 0 ? (activity.httpSettled + activity.observedRepublishesSettled + activity.shadows.updates) / withRules.acked : 0;
  console.log(
    `rule actions seen from outside (at load end -> settled after ${activity.settleSeconds.toFixed(1)} s):` +
      `\n  http POSTs to the receiver      ${int(activity.httpAtLoadEnd)} -> ${int(activity.httpSettled)} (${int(activity.httpSigned)} signed)` +
      `\n  republishes to the observer     ${int(activity.observedRepublishesAtLoadEnd)} -> ${int(activity.observedRepublishesSettled)}` +
      `\n  shadow updates (sum of versions) ${int(activity.shadows.updates)} on ${activity.shadows.thingsWithReported} things, e.g. reported ${JSON.stringify(activity.shadows.example ?? null)}` +
      `\n  -> ${perMessage.toFixed(3)} observed actions per acknowledged message (the other republishes go to topics nobody subscribes to)`,
  );
  console.log(
    activity.metrics.length > 0
      ? `rule metrics at GET /metrics:\n  ${activity.metrics.join('\n  ')}`
      : 'rule metrics at GET /metrics: none exposed (the dispatcher keeps its counters in memory only)',
  );
}

/** The figures on stdout, ending with the verdict line. */
export function printRulesSummary(report: RulesReport): void {
  const { devices, window, durationSeconds, rounds } = report.config;
  console.log(
    `\nrules: ${devices} devices x ${window} in flight, ${rounds} rounds of ${durationSeconds} s per phase (default, rules, default, ...), QoS 1 over TLS, topics ${report.config.topics.join(', ')} in turn`,
  );
  console.log(`machine: ${report.machine.cpus} CPUs (${report.machine.cpuModel}), node ${report.machine.node}\n`);
  const header = ['phase', 'rules', 'acked', 'stored / acked telemetry', 'lost', 'seconds', 'msgs/s', 'p50 ms', 'p99 ms', 'CPU % platform / bench'];
  const roundRows = report.rounds.flatMap((round, index) => [phaseRow(`round ${index + 1}: default rule`, round.defaultRule), phaseRow(`round ${index + 1}: with rules`, round.withRules)]);
  console.log(table([header, ...roundRows, phaseRow('all rounds: default rule', report.phases.defaultRule), phaseRow('all rounds: with rules', report.phases.withRules)]));
  console.log(`ratio of each round: ${report.rounds.map((round) => round.ratio.toFixed(3)).join(', ')}`);
  printActivity(report.activity, report.phases.withRules);
  for (const failure of report.failures) console.log(`FAILED CHECK: ${failure}`);
  const verdict = report.goal.met ? 'met' : 'NOT met';
  console.log(
    `\ngoal (issue 4 point 7): with ${report.phases.withRules.enabledRules - report.phases.defaultRule.enabledRules} more rules at most 20 % slower:` +
      ` ratio ${report.ratio.toFixed(3)} (>= ${GOAL_RATIO} wanted) -> ${verdict}${report.failures.length > 0 ? ' (but checks failed: figure not valid)' : ''}`,
  );
}
