import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { repoPath } from '../support/paths.js';
import { provisionDevices, type ProvisionedFleet } from '../support/platform-devices.js';
import { startPlatformProcess, type PlatformProcess } from '../support/platform-process.js';
import { RestClient } from '../support/rest-client.js';
import { makeTempDir } from '../support/temp-dir.js';
import { closeFleet, connectFleet } from './device-fleet.js';
import { parseHubOptions, type HubOptions } from './hub-options.js';
import { buildReport, printSummary, writeReport } from './hub-report.js';
import { measureIdleMemory, type IdleMemoryResult } from './idle-memory.js';
import { JobsLoad, type JobsResult } from './jobs-load.js';
import { ShadowLoad, type ShadowResult } from './shadow-load.js';

const log = (message: string): void => void process.stderr.write(`${message}\n`);

const WARMUP_DEVICES = 100;
const SETTLE_SECONDS = 5;

/** The soft and hard limits on open files: the platform holds one socket per device. */
function fdLimit(needed: number): string {
  const [soft = '?', hard = '?'] = execFileSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).trim().split('\n');
  const limit = `soft ${soft}, hard ${hard}`;
  if (soft !== 'unlimited' && Number(soft) < needed) {
    log(`WARNING open-file limit ${limit} is below the ${needed} the platform needs: raise it (ulimit -n ${needed}) and run again`);
  }
  return limit;
}

async function provision(platform: PlatformProcess, count: number): Promise<ProvisionedFleet> {
  const api = await RestClient.login(platform.baseUrl, 'admin', platform.adminPassword);
  log(`provisioning ${count} devices through the REST API (one shared key pair, a CSR per thing)`);
  const onProgress = (done: number): void => {
    if (done % 1000 === 0 || done === count) log(`  ${done} devices activated`);
  };
  return provisionDevices(api, count, { sharedKey: true, concurrency: 8, onProgress });
}

async function runShadow(api: RestClient, clients: Parameters<typeof closeFleet>[0], options: HubOptions, platformPid: number | undefined): Promise<ShadowResult> {
  log(`shadow: ${clients.length} devices, ${options.window} updates in flight each, ${options.warmupSeconds} s warm-up, ${options.durationSeconds} s measured`);
  const load = new ShadowLoad(clients, { ...options, platformPid });
  const result = await load.run(log);
  log('shadow: checking every shadow version over GET /api/v1/things/{thingName}/shadow');
  await load.verify(api, result);
  return result;
}

async function runJobs(api: RestClient, clients: Parameters<typeof closeFleet>[0], options: HubOptions): Promise<JobsResult> {
  log(`jobs: creating ${options.jobs} jobs for ${clients.length} things`);
  const jobIds = await JobsLoad.createJobs(api, clients.map((client) => client.clientId), options.jobs);
  const load = new JobsLoad(clients);
  const result = await load.run(options.jobs, log);
  log('jobs: checking every execution over GET /api/v1/jobs/{jobId}/executions');
  await load.verify(api, jobIds, result);
  return result;
}

/** (a) and (b) on one platform process, with the first `devices` of the fleet connected. */
async function runLoad(platform: PlatformProcess, fleet: ProvisionedFleet, options: HubOptions, errors: string[]): Promise<{ shadow: ShadowResult | null; jobs: JobsResult | null }> {
  const api = await RestClient.login(platform.baseUrl, 'admin', platform.adminPassword);
  log(`connecting ${options.devices} devices`);
  const connected = await connectFleet({ mqttPort: platform.mqttPort, caPem: fleet.caPem }, fleet.devices.slice(0, options.devices));
  log(`  connected in ${connected.seconds.toFixed(1)} s`);
  let shadow: ShadowResult | null = null;
  let jobs: JobsResult | null = null;
  try {
    shadow = await runShadow(api, connected.clients, options, platform.child.pid);
    errors.push(...shadow.errors.map((error) => `shadow: ${error}`));
    jobs = await runJobs(api, connected.clients, options);
    errors.push(...jobs.errors.map((error) => `jobs: ${error}`));
  } catch (error) {
    errors.push(`load: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await closeFleet(connected.clients);
  }
  return { shadow, jobs };
}

/**
 * `pnpm bench hub`: one platform process provisions the fleet and takes the shadow and jobs load;
 * a fresh one on the same data measures idle memory, so nothing the load left behind (caches, heap
 * grown and freed) blurs the baseline.
 */
export async function runHubBenchmark(args: string[]): Promise<void> {
  const options = parseHubOptions(args);
  const total = Math.max(options.devices, options.idleDevices, WARMUP_DEVICES);
  const limit = fdLimit(options.idleDevices + 1_000);
  const data = { dataDir: makeTempDir('citus-bench-hub-'), adminPassword: `bench-${randomBytes(12).toString('hex')}` };
  const shared = { data: { dataDir: data.dataDir.path, adminPassword: data.adminPassword }, profileDir: options.profileDir };
  const errors: string[] = [];
  let load: { shadow: ShadowResult | null; jobs: JobsResult | null } = { shadow: null, jobs: null };
  let memory: IdleMemoryResult | null = null;
  let provisionSeconds = 0;
  try {
    log('platform: starting services/embedded/dist/main.js');
    const first = await startPlatformProcess({ ...shared, profileName: 'platform-load' });
    let fleet: ProvisionedFleet;
    try {
      const startedAt = performance.now();
      fleet = await provision(first, total);
      provisionSeconds = (performance.now() - startedAt) / 1000;
      load = await runLoad(first, fleet, options, errors);
    } finally {
      await first.stop();
    }
    log('platform: restarting on the same data with --expose-gc, for the memory figure');
    const probe = pathToFileURL(repoPath('bench/dist/hub/memory-probe.js')).href;
    const second = await startPlatformProcess({ ...shared, profileName: 'platform-idle', ipc: true, nodeOptions: ['--expose-gc', '--import', probe] });
    try {
      memory = await measureIdleMemory(second.child, {
        mqttPort: second.mqttPort,
        caPem: fleet.caPem,
        devices: fleet.devices.slice(0, options.idleDevices),
        warmupDevices: fleet.devices.slice(0, WARMUP_DEVICES),
        clientProcesses: options.clientProcesses,
        settleSeconds: SETTLE_SECONDS,
      }, log);
      if (memory.connected < options.idleDevices) errors.push(`memory: ${memory.connected} of ${options.idleDevices} idle devices stayed connected`);
    } finally {
      await second.stop();
    }
  } catch (error) {
    errors.push(error instanceof Error ? error.message : String(error));
  } finally {
    data.dataDir.remove();
  }
  const report = buildReport(options, { fdLimit: limit, provisionSeconds }, { ...load, memory, errors });
  printSummary(report);
  log(`wrote ${writeReport(report)}`);
  // A missed goal is a figure; a failed check is a broken hub or a broken run.
  if (errors.length > 0) process.exitCode = 1;
}
