import { provisionDevices } from '../support/platform-devices.js';
import { startPlatformProcess } from '../support/platform-process.js';
import { RestClient } from '../support/rest-client.js';
import { startBaselineProcess } from './baseline-process.js';
import { cpuPerMessageMeter, type CpuPerMessage } from './cpu-per-message.js';
import { type IngestOptions, parseIngestOptions, type TargetName } from './ingest-options.js';
import { buildReport, printSummary, writeReport, type TargetResult } from './ingest-report.js';
import { LoadGenerator, type LoadPlan, type LoadResult } from './load-generator.js';
import { summarizeMemory } from './memory-trend.js';
import { runPacedPhase, type PacedResult } from './paced-phase.js';
import { countStored } from './platform-devices.js';
import { RssSampler, type RssSample } from './rss-sampler.js';

const log = (message: string): void => void process.stderr.write(`${message}\n`);

interface Measured {
  load: LoadResult;
  cpu: CpuPerMessage | null;
}

interface PhaseHooks {
  /** Just before the first publish. */
  onStart?: () => void;
  /** Just after the last PUBACK, before the wait for the target to work off its backlog. */
  onEnd?: () => void;
}

/** `pid`: the target's process, whose threads' CPU is measured over the run and its catch-up. */
async function measure(plan: LoadPlan, pid: number | undefined, hooks: PhaseHooks = {}): Promise<Measured> {
  log(`${plan.label}: connecting ${plan.devices.length} devices`);
  const generator = await LoadGenerator.connect(plan);
  try {
    log(`${plan.label}: publishing for ${plan.durationSeconds} s, ${plan.window} in flight per device`);
    hooks.onStart?.();
    const cpu = cpuPerMessageMeter(pid);
    const load = await generator.run();
    hooks.onEnd?.();
    log(`${plan.label}: waiting for the target to work off its backlog (CPU under a tenth of a core)`);
    return { load, cpu: await cpu(load.acked) };
  } finally {
    await generator.close();
  }
}

function planFor(label: string, options: IngestOptions, target: Pick<LoadPlan, 'mqttPort' | 'caPem' | 'devices'>): LoadPlan {
  const { durationSeconds, window, deviceTimestamps } = options;
  return { label, ...target, durationSeconds, window, deviceTimestamps };
}

function toResult({ load, cpu }: Measured, durableStored: number | null): TargetResult {
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
    cpu,
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

interface PlatformRun {
  result: TargetResult;
  paced: PacedResult | undefined;
}

/** The max-rate phase with the platform's RSS sampled each second, then the paced phase unless it is off. */
async function runPlatform(options: IngestOptions): Promise<PlatformRun> {
  log('platform: starting services/embedded/dist/main.js');
  const platform = await startPlatformProcess({ profileDir: options.profileDir });
  const pid = platform.child.pid;
  let sampler: RssSampler | undefined;
  try {
    const api = await RestClient.login(platform.baseUrl, 'admin', platform.adminPassword);
    log(`platform: declaring and activating ${options.devices} devices`);
    const fleet = await provisionDevices(api, options.devices);
    const target = { mqttPort: platform.mqttPort, ...fleet };
    const plan: LoadPlan = { ...planFor('platform', options, target), progressNote: () => rssNote(sampler) };
    let samples: RssSample[] | undefined;
    const measured = await measure(plan, pid, {
      onStart: () => (sampler = pid === undefined ? undefined : new RssSampler(pid)),
      // The memory goal is about the load: the samples end with it.
      onEnd: () => (samples = sampler?.stop()),
    });
    const memory = samples ? summarizeMemory(samples, options.durationSeconds) : null;
    log('platform: counting stored messages through GET /api/v1/telemetry');
    const stored = await countStored(api, fleet.devices.map((device) => device.clientId));
    checkDurability(measured.load.acked, stored);
    const paced = options.pacedDurationSeconds > 0 ? await runPacedPhase(api, target, options, log) : undefined;
    return { result: { ...toResult(measured, stored), memory }, paced };
  } finally {
    sampler?.stop();
    await platform.stop();
  }
}

function rssNote(sampler: RssSampler | undefined): string {
  const latest = sampler?.latest;
  return latest ? `  rss ${latest.rssMb.toFixed(0)} MiB` : '';
}

async function runBaseline(options: IngestOptions): Promise<TargetResult> {
  log('baseline: starting aedes over TLS, no auth, no store');
  const broker = await startBaselineProcess(options.profileDir);
  try {
    const devices = Array.from({ length: options.devices }, (_, i) => ({ clientId: `bench-${i + 1}` }));
    const measured = await measure(planFor('baseline', options, { mqttPort: broker.mqttPort, caPem: broker.caPem, devices }), broker.pid);
    return toResult(measured, null);
  } finally {
    await broker.stop();
  }
}

const RUNNERS: Record<TargetName, (options: IngestOptions) => Promise<PlatformRun>> = {
  platform: runPlatform,
  baseline: async (options) => ({ result: await runBaseline(options), paced: undefined }),
};

/**
 * `pnpm bench ingest`: the same device load against the platform and against a bare broker, then
 * the platform at a set rate, with the figures of issue 5 point 6 and their goals.
 */
export async function runIngestBenchmark(args: string[]): Promise<void> {
  const options = parseIngestOptions(args);
  const results: Partial<Record<TargetName, TargetResult>> = {};
  let paced: PacedResult | undefined;
  for (const target of options.targets) {
    const run = await RUNNERS[target](options);
    results[target] = run.result;
    paced ??= run.paced;
  }
  const report = buildReport(options, results, paced);
  printSummary(report);
  log(`wrote ${writeReport(report)}`);
}
