import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { relative } from 'node:path';
import { repoPath } from '../support/paths.js';
import { cpuBudget, type CpuBudget, type CpuPerMessage } from './cpu-per-message.js';
import { evaluateGoals, GOALS, type GoalRow } from './ingest-goals.js';
import type { IngestOptions, TargetName } from './ingest-options.js';
import type { MemorySummary } from './memory-trend.js';
import type { PacedResult } from './paced-phase.js';
import type { VisibilityFigures } from './probe-poller.js';
import { telemetryPayload } from './telemetry-payload.js';

export interface TargetResult {
  /** Publishes acknowledged (PUBACK) by the target. */
  messages: number;
  seconds: number;
  /** Durably stored messages a second where the target stores them, else acknowledged ones. */
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Messages the platform holds after the run; null for the broker-only baseline. */
  durableStored: number | null;
  published: number;
  lost: number;
  /** The platform's RSS over its max-rate phase; absent for the baseline, null without procfs. */
  memory?: MemorySummary | null;
  /** CPU per acknowledged message over the max-rate phase; null without procfs. */
  cpu: CpuPerMessage | null;
}

export interface IngestReport {
  benchmark: 'ingest';
  finishedAt: string;
  config: Omit<IngestOptions, 'targets' | 'profileDir'> & { qos: 1; transport: string; payloadExample: unknown };
  machine: { cpus: number; cpuModel: string; totalMemoryMb: number; node: string; platform: string; arch: string };
  results: Partial<Record<TargetName, TargetResult>>;
  /** The platform at a set rate after its max-rate phase; absent when the run has none. */
  paced?: PacedResult;
  /** What the machine's cores give each message at the goal's share of the baseline; absent unless both targets ran. */
  cpuBudget?: CpuBudget;
  goals: GoalRow[];
}

export type MachineInfo = IngestReport['machine'];

/** The machine a benchmark ran on, for its report. */
export function machineInfo(): MachineInfo {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemoryMb: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
  };
}

/** The budget at the goal's share of the baseline, less the load generator's part in the platform's run. */
function budgetOf(results: Partial<Record<TargetName, TargetResult>>, cores: number): CpuBudget | undefined {
  const { platform, baseline } = results;
  if (!platform?.cpu || !baseline) return undefined;
  return cpuBudget(cores, baseline.msgsPerSec, GOALS.baselineShare, platform.cpu.loadGeneratorUs) ?? undefined;
}

export function buildReport(options: IngestOptions, results: Partial<Record<TargetName, TargetResult>>, paced?: PacedResult): IngestReport {
  const { devices, durationSeconds, window, deviceTimestamps, pacedRate, pacedDurationSeconds } = options;
  const machine = machineInfo();
  const budget = budgetOf(results, machine.cpus);
  return {
    benchmark: 'ingest',
    finishedAt: new Date().toISOString(),
    config: {
      devices,
      durationSeconds,
      window,
      deviceTimestamps,
      pacedRate,
      pacedDurationSeconds,
      qos: 1,
      transport: 'MQTT 3.1.1 over TLS (mqtts) on 127.0.0.1',
      payloadExample: JSON.parse(telemetryPayload({ lastEpoch: 0 }, deviceTimestamps)) as unknown,
    },
    machine,
    results,
    ...(paced && { paced }),
    ...(budget && { cpuBudget: budget }),
    goals: evaluateGoals({
      durationSeconds,
      platformMsgsPerSec: results.platform?.msgsPerSec,
      baselineMsgsPerSec: results.baseline?.msgsPerSec,
      memory: results.platform?.memory,
      paced,
    }),
  };
}

const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const mb = (value: number): string => value.toFixed(0);

/** Rows padded to their columns: the first `leftColumns` left-aligned, the others right-aligned. */
export function table(rows: string[][], leftColumns = 1): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const pad = (cell: string, column: number): string => (column < leftColumns ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!));
  return rows.map((row) => row.map(pad).join('  ').trimEnd()).join('\n');
}

function printMemory(memory: MemorySummary | null | undefined): void {
  if (memory === undefined) return;
  if (memory === null) return console.log('\nplatform RSS: not measured (no /proc/<pid>/status)');
  const growth = `${memory.secondHalfGrowthMbPerMinute >= 0 ? '+' : ''}${memory.secondHalfGrowthMbPerMinute.toFixed(1)} MiB/min`;
  const share = `${(memory.secondHalfGrowthShare * 100).toFixed(1)} % over the half`;
  console.log(
    `\nplatform RSS (MiB, ${memory.samples} samples 1 s apart): after warm-up ${mb(memory.warmUpMb)} (at ${memory.warmUpAtSeconds.toFixed(0)} s)` +
      `  end ${mb(memory.endMb)}  max ${mb(memory.maxMb)}  2nd half: mean ${mb(memory.secondHalfMeanMb)}, ${growth}, ${share} -> ${memory.flat ? 'flat' : 'NOT flat'}`,
  );
  console.log(`  ${memory.rule}`);
}

const us = (value: number): string => value.toFixed(0);

/** Where each target's CPU went per message, and what the goal's share of the baseline would leave the platform. */
function printCpu(results: IngestReport['results'], budget: CpuBudget | undefined, cores: number): void {
  const measured = Object.entries(results).filter((entry): entry is [string, TargetResult & { cpu: CpuPerMessage }] => entry[1].cpu !== null);
  if (measured.length === 0) return;
  const rows = [['target', 'process', 'event loop', 'other threads', 'load generator']];
  for (const [name, { cpu }] of measured) {
    const threads = cpu.threads.filter((thread) => thread.us >= 0.5).map((thread) => `${us(thread.us)}${thread.nice === 0 ? '' : ` (nice ${thread.nice})`}`);
    rows.push([name, us(cpu.processUs), us(cpu.mainUs), threads.join(', ') || '-', us(cpu.loadGeneratorUs)]);
  }
  const catchUp = measured.map(([name, { cpu }]) => `${name} ${cpu.catchUpSeconds.toFixed(0)} s`).join(', ');
  console.log(
    `\nCPU per acknowledged message, max-rate phase and the catch-up after it (${catchUp}) (µs of one core, user + system)\n${table(rows, 1)}`,
  );
  const platform = results.platform?.cpu;
  if (!budget || !platform) return;
  console.log(
    `  at ${budget.share} of the baseline (${int(budget.msgsPerSec)} msg/s) ${cores} cores give ${us(budget.totalUs)} µs per message;` +
      ` less the platform run's load generator (${us(platform.loadGeneratorUs)}), ${us(budget.targetUs)} µs are left for the platform, which used ${us(platform.processUs)}`,
  );
}

function visibilityRow(what: string, figures: VisibilityFigures): string[] {
  return [what, int(figures.probes), int(figures.unseen), ms(figures.p50Ms), ms(figures.p99Ms), ms(figures.maxMs)];
}

function printPaced(paced: PacedResult | undefined): void {
  if (!paced) return;
  console.log(
    `\npaced platform: ${int(paced.targetRate)} msg/s asked, ${int(paced.achievedRate)} achieved` +
      ` (${int(paced.acked)} acked in ${paced.seconds.toFixed(2)} s, ${int(paced.lost)} lost, at most ${paced.window} in flight per device),` +
      ` PUBACK p50 ${ms(paced.p50Ms)} / p99 ${ms(paced.p99Ms)} ms`,
  );
  console.log(`  before it, search took ${paced.indexerBacklogSeconds.toFixed(1)} s to show a new message (the max-rate phase's indexer backlog)`);
  const rows = [['publish to visible', 'probes', 'unseen', 'p50 ms', 'p99 ms', 'max ms']];
  rows.push(visibilityRow('GET /telemetry (queryable)', paced.queryable), visibilityRow('GET /search (indexer lag)', paced.indexed));
  console.log(table(rows));
  const pollRate = paced.seconds > 0 ? ` (${int(paced.polls / paced.seconds)}/s)` : '';
  console.log(
    `  ${paced.probesPerSecond} probes/s, each polled every ${paced.pollIntervalMs} ms until seen (times are upper bounds by one poll):` +
      ` ${int(paced.polls)} polls${pollRate}, ${int(paced.pollErrors)} failed`,
  );
}

/** A fixed-width table of the figures on stdout. */
export function printSummary(report: IngestReport): void {
  const { devices, window, durationSeconds, deviceTimestamps } = report.config;
  const rows = [['target', 'acked', 'durable', 'seconds', 'msgs/s', 'p50 ms', 'p99 ms']];
  for (const [name, result] of Object.entries(report.results)) {
    const durable = result.durableStored === null ? 'n/a' : int(result.durableStored);
    rows.push([name, int(result.messages), durable, result.seconds.toFixed(2), int(result.msgsPerSec), ms(result.p50Ms), ms(result.p99Ms)]);
  }
  const epochs = deviceTimestamps ? 'device timestamps' : 'receive-time epochs';
  console.log(`\ningest: ${devices} devices x ${window} in flight, ${durationSeconds} s, QoS 1 over TLS, ${epochs}`);
  console.log(`machine: ${report.machine.cpus} CPUs (${report.machine.cpuModel}), node ${report.machine.node}\n`);
  console.log(table(rows));
  const { platform, baseline } = report.results;
  if (platform && baseline && baseline.msgsPerSec > 0) {
    console.log(`\nplatform (durable) / baseline (broker only): ${((100 * platform.msgsPerSec) / baseline.msgsPerSec).toFixed(0)} %`);
  }
  printCpu(report.results, report.cpuBudget, report.machine.cpus);
  printMemory(platform?.memory);
  printPaced(report.paced);
  console.log(`\ngoals (issue 5 point 6)\n${table([['goal', 'measured', 'verdict'], ...report.goals.map((g) => [g.goal, g.measured, g.verdict])], 3)}`);
}

/** Writes `bench-results/<benchmark>.json` (ingest.json here) at the repo root; answers its path relative to the working dir. */
export function writeReport(report: { benchmark: string }): string {
  mkdirSync(repoPath('bench-results'), { recursive: true });
  const file = repoPath('bench-results', `${report.benchmark}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return relative(process.cwd(), file) || file;
}
