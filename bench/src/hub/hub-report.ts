import { mkdirSync, writeFileSync } from 'node:fs';
import { machineInfo, type MachineInfo } from '../ingest/ingest-report.js';
import { relative } from 'node:path';
import { repoPath } from '../support/paths.js';
import type { IdleMemoryResult } from './idle-memory.js';
import type { HubOptions } from './hub-options.js';
import type { JobsResult } from './jobs-load.js';
import type { ShadowResult } from './shadow-load.js';

/** The goals of issue 3, point 10. */
export const GOALS = { shadowUpdatesPerSec: 5_000, idleBytesPerConnection: 20 * 1024 } as const;

export interface HubReport {
  benchmark: 'hub';
  finishedAt: string;
  config: Omit<HubOptions, 'profileDir'> & { qos: 1; transport: string; fdLimit: string; provisionSeconds: number };
  machine: MachineInfo;
  goals: typeof GOALS & { shadowMet: boolean | null; memoryMet: boolean | null };
  shadow: ShadowResult | null;
  jobs: JobsResult | null;
  memory: IdleMemoryResult | null;
  /** Correctness failures of any part; the run exits 1 when there is any. */
  errors: string[];
}

export function buildReport(
  options: HubOptions,
  extra: { fdLimit: string; provisionSeconds: number },
  results: { shadow: ShadowResult | null; jobs: JobsResult | null; memory: IdleMemoryResult | null; errors: string[] },
): HubReport {
  const { profileDir: _profileDir, ...config } = options;
  const { shadow, memory } = results;
  return {
    benchmark: 'hub',
    finishedAt: new Date().toISOString(),
    config: { ...config, ...extra, qos: 1, transport: 'MQTT 3.1.1 over mutual TLS (mqtts) on 127.0.0.1' },
    machine: machineInfo(),
    goals: {
      ...GOALS,
      shadowMet: shadow ? shadow.updatesPerSec >= GOALS.shadowUpdatesPerSec : null,
      memoryMet: memory ? memory.rssPerConnectionBytes < GOALS.idleBytesPerConnection : null,
    },
    ...results,
  };
}

const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const verdict = (met: boolean | null): string => (met === null ? 'n/a' : met ? 'MET' : 'MISSED');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')).join('\n');
}

/** The figures, with the goals next to them, on stdout. */
export function printSummary(report: HubReport): void {
  const { shadow, jobs, memory, goals } = report;
  console.log(`\nhub: MQTT 3.1.1 over mutual TLS, QoS 1; machine: ${report.machine.cpus} CPUs (${report.machine.cpuModel}), node ${report.machine.node}\n`);
  const rows = [['figure', 'value', 'p50 ms', 'p99 ms', 'goal', 'verdict']];
  if (shadow) {
    rows.push([`shadow updates/s (${shadow.devices} devices x ${shadow.window} in flight, ${shadow.seconds.toFixed(1)} s)`, int(shadow.updatesPerSec), ms(shadow.p50Ms), ms(shadow.p99Ms), `>= ${int(goals.shadowUpdatesPerSec)}`, verdict(goals.shadowMet)]);
  }
  if (shadow) {
    const platform = shadow.cpu.platformCorePercent === null ? 'n/a' : `${shadow.cpu.platformCorePercent.toFixed(0)} %`;
    rows.push(['  CPU while measured: platform / load generator (% of a core)', `${platform} / ${shadow.cpu.benchCorePercent.toFixed(0)} %`, '', '', '', '']);
  }
  if (jobs) {
    rows.push([`job executions/s (${jobs.devices} devices x ${jobs.jobs} jobs, ${jobs.seconds.toFixed(1)} s)`, int(jobs.executionsPerSec), ms(jobs.p50Ms), ms(jobs.p99Ms), '-', '-']);
  }
  if (memory) {
    rows.push([`idle memory per TLS device, RSS (${int(memory.connected)} devices)`, kb(memory.rssPerConnectionBytes), '', '', `< ${kb(goals.idleBytesPerConnection)}`, verdict(goals.memoryMet)]);
    rows.push(['  of which V8 heap', kb(memory.heapPerConnectionBytes), '', '', '', '']);
    rows.push(['  of which external (Buffers)', kb(memory.externalPerConnectionBytes), '', '', '', '']);
    rows.push([`  client time to connect all`, `${memory.connectSeconds.toFixed(1)} s`, '', '', '', '']);
  }
  console.log(table(rows));
  if (report.errors.length > 0) console.log(`\nCORRECTNESS FAILURES:\n${report.errors.map((error) => `  - ${error}`).join('\n')}`);
}

/** Writes `bench-results/hub.json` at the repo root; answers its path relative to the working dir. */
export function writeReport(report: HubReport): string {
  mkdirSync(repoPath('bench-results'), { recursive: true });
  const file = repoPath('bench-results', 'hub.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return relative(process.cwd(), file) || file;
}
