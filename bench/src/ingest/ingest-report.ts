import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { relative } from 'node:path';
import { repoPath } from '../support/paths.js';
import type { IngestOptions, TargetName } from './ingest-options.js';
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
}

export interface IngestReport {
  benchmark: 'ingest';
  finishedAt: string;
  config: Omit<IngestOptions, 'targets' | 'profileDir'> & { qos: 1; transport: string; payloadExample: unknown };
  machine: { cpus: number; cpuModel: string; totalMemoryMb: number; node: string; platform: string; arch: string };
  results: Partial<Record<TargetName, TargetResult>>;
}

export function buildReport(options: IngestOptions, results: Partial<Record<TargetName, TargetResult>>): IngestReport {
  const { devices, durationSeconds, window, deviceTimestamps } = options;
  return {
    benchmark: 'ingest',
    finishedAt: new Date().toISOString(),
    config: {
      devices,
      durationSeconds,
      window,
      deviceTimestamps,
      qos: 1,
      transport: 'MQTT 3.1.1 over TLS (mqtts) on 127.0.0.1',
      payloadExample: JSON.parse(telemetryPayload({ lastEpoch: 0 }, deviceTimestamps)) as unknown,
    },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      totalMemoryMb: Math.round(totalmem() / 2 ** 20),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
    },
    results,
  };
}

const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');

/** A fixed-width table of the figures on stdout. */
export function printSummary(report: IngestReport): void {
  const { devices, window, durationSeconds, deviceTimestamps } = report.config;
  const rows = [['target', 'acked', 'durable', 'seconds', 'msgs/s', 'p50 ms', 'p99 ms']];
  for (const [name, result] of Object.entries(report.results)) {
    const durable = result.durableStored === null ? 'n/a' : int(result.durableStored);
    rows.push([name, int(result.messages), durable, result.seconds.toFixed(2), int(result.msgsPerSec), ms(result.p50Ms), ms(result.p99Ms)]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
  const epochs = deviceTimestamps ? 'device timestamps' : 'receive-time epochs';
  console.log(`\ningest: ${devices} devices x ${window} in flight, ${durationSeconds} s, QoS 1 over TLS, ${epochs}`);
  console.log(`machine: ${report.machine.cpus} CPUs (${report.machine.cpuModel}), node ${report.machine.node}\n`);
  console.log(lines.join('\n'));
  const { platform, baseline } = report.results;
  if (platform && baseline && baseline.msgsPerSec > 0) {
    console.log(`\nplatform (durable) / baseline (broker only): ${((100 * platform.msgsPerSec) / baseline.msgsPerSec).toFixed(0)} %`);
  }
}

/** Writes `bench-results/ingest.json` at the repo root; answers its path relative to the working dir. */
export function writeReport(report: IngestReport): string {
  mkdirSync(repoPath('bench-results'), { recursive: true });
  const file = repoPath('bench-results', 'ingest.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return relative(process.cwd(), file) || file;
}
