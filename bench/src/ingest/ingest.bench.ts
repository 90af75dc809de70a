import { provisionDevices } from '../support/platform-devices.js';
import { startPlatformProcess } from '../support/platform-process.js';
import { RestClient } from '../support/rest-client.js';
import { startBaselineProcess } from './baseline-process.js';
import { type IngestOptions, parseIngestOptions, type TargetName } from './ingest-options.js';
import { buildReport, printSummary, writeReport, type TargetResult } from './ingest-report.js';
import { LoadGenerator, type LoadPlan, type LoadResult } from './load-generator.js';
import { countStored } from './platform-devices.js';

const log = (message: string): void => void process.stderr.write(`${message}\n`);

async function measure(plan: LoadPlan): Promise<LoadResult> {
  log(`${plan.label}: connecting ${plan.devices.length} devices`);
  const generator = await LoadGenerator.connect(plan);
  try {
    log(`${plan.label}: publishing for ${plan.durationSeconds} s, ${plan.window} in flight per device`);
    return await generator.run();
  } finally {
    await generator.close();
  }
}

function planFor(label: string, options: IngestOptions, target: Pick<LoadPlan, 'mqttPort' | 'caPem' | 'devices'>): LoadPlan {
  const { durationSeconds, window, deviceTimestamps } = options;
  return { label, ...target, durationSeconds, window, deviceTimestamps };
}

function toResult(load: LoadResult, durableStored: number | null): TargetResult {
  const counted = durableStored ?? load.acked;
  return {
    messages: load.acked,
    seconds: load.seconds,
    msgsPerSec: load.seconds > 0 ? counted / load.seconds : 0,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    durableStored,
    published: load.published,
    lost: load.lost,
  };
}

/** Acknowledged must mean stored: anything else is a broken promise of the hub, or a lost connection. */
function checkDurability(acked: number, stored: number): void {
  if (stored === acked) return log(`platform: ${stored} messages stored, the same as acknowledged`);
  if (stored > acked) {
    // A message can be stored and its PUBACK lost with the connection at the end of the run.
    return log(`note platform: more messages stored than acknowledged: stored ${stored}, acknowledged ${acked}`);
  }
  log(`ERROR platform: FEWER messages stored than acknowledged: stored ${stored}, acknowledged ${acked}`);
  process.exitCode = 1;
}

async function runPlatform(options: IngestOptions): Promise<TargetResult> {
  log('platform: starting services/embedded/dist/main.js');
  const platform = await startPlatformProcess({ profileDir: options.profileDir });
  try {
    const api = await RestClient.login(platform.baseUrl, 'admin', platform.adminPassword);
    log(`platform: declaring and activating ${options.devices} devices`);
    const fleet = await provisionDevices(api, options.devices);
    const load = await measure(planFor('platform', options, { mqttPort: platform.mqttPort, ...fleet }));
    log('platform: counting stored messages through GET /api/v1/telemetry');
    const stored = await countStored(api, fleet.devices.map((device) => device.clientId));
    checkDurability(load.acked, stored);
    return toResult(load, stored);
  } finally {
    await platform.stop();
  }
}

async function runBaseline(options: IngestOptions): Promise<TargetResult> {
  log('baseline: starting aedes over TLS, no auth, no store');
  const broker = await startBaselineProcess(options.profileDir);
  try {
    const devices = Array.from({ length: options.devices }, (_, i) => ({ clientId: `bench-${i + 1}` }));
    const load = await measure(planFor('baseline', options, { mqttPort: broker.mqttPort, caPem: broker.caPem, devices }));
    return toResult(load, null);
  } finally {
    await broker.stop();
  }
}

const RUNNERS: Record<TargetName, (options: IngestOptions) => Promise<TargetResult>> = {
  platform: runPlatform,
  baseline: runBaseline,
};

/** `pnpm bench ingest`: the same device load against the platform and against a bare broker. */
export async function runIngestBenchmark(args: string[]): Promise<void> {
  const options = parseIngestOptions(args);
  const results: Partial<Record<TargetName, TargetResult>> = {};
  for (const target of options.targets) results[target] = await RUNNERS[target](options);
  const report = buildReport(options, results);
  printSummary(report);
  log(`wrote ${writeReport(report)}`);
}
