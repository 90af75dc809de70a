import type { CreatedTopicRule, TopicRuleList } from '@citus/contracts';
import { LoadGenerator, type LoadPlan } from '../ingest/load-generator.js';
import { countStored } from '../ingest/platform-devices.js';
import { writeReport } from '../ingest/ingest-report.js';
import { sleep } from '../support/async.js';
import { freePort } from '../support/net.js';
import { provisionDevices, type DeviceCredentials } from '../support/platform-devices.js';
import { startPlatformProcess, type PlatformProcess } from '../support/platform-process.js';
import { cpuMeter } from '../support/process-cpu.js';
import { RestClient } from '../support/rest-client.js';
import { waitForQuietPlatform } from '../support/platform-quiet.js';
import { ActionReceiver, readShadows, RepublishObserver, ruleMetrics, settle } from './rule-effects.js';
import { benchTopics, buildRuleSet, familyCounts } from './rule-set.js';
import { parseRulesOptions, type RulesOptions } from './rules-options.js';
import { buildRulesReport, printRulesSummary, type PhaseResult, type RuleActivity } from './rules-report.js';

const log = (message: string): void => void process.stderr.write(`${message}\n`);

/** What both phases share: one platform, its devices, and the watchers of the rules' effects. */
interface Rig {
  platform: PlatformProcess;
  api: RestClient;
  devices: DeviceCredentials[];
  caPem: string;
  observerThing: string;
  receiver: ActionReceiver;
  observer: RepublishObserver;
  metricsUrl: string;
  /** Correctness checks that failed; any fails the process. */
  failures: string[];
}

const thingNames = (rig: Rig): string[] => rig.devices.map((device) => device.clientId);

/** Acknowledged must mean stored, as in the ingest bench; more stored than acknowledged is a PUBACK lost at the end. */
function checkStored(rig: Rig, label: string, phase: PhaseResult): void {
  if (phase.stored === phase.ackedTelemetry) return log(`${label}: ${phase.stored} telemetry messages stored, the same as acknowledged`);
  if (phase.stored > phase.ackedTelemetry) return log(`note ${label}: stored ${phase.stored}, more than the ${phase.ackedTelemetry} acknowledged`);
  rig.failures.push(`${label}: FEWER telemetry messages stored than acknowledged: stored ${phase.stored}, acknowledged ${phase.ackedTelemetry}`);
}

/** One phase: the devices publish the topic mix at full speed; then the stored messages are counted. */
async function runPhase(rig: Rig, label: string, options: RulesOptions, storedBefore: number): Promise<PhaseResult> {
  const quiet = await waitForQuietPlatform(rig.platform.child.pid);
  log(`${label}: platform quiet after ${quiet.toFixed(0)} s; connecting ${rig.devices.length} devices`);
  const { durationSeconds, window } = options;
  const plan: LoadPlan = { label, mqttPort: rig.platform.mqttPort, caPem: rig.caPem, devices: rig.devices, durationSeconds, window, deviceTimestamps: false, topicsOf: benchTopics };
  const generator = await LoadGenerator.connect(plan);
  const enabledRules = (await rig.api.get<TopicRuleList>('/api/v1/rules')).items.filter((rule) => !rule.ruleDisabled).length;
  log(`${label}: publishing for ${durationSeconds} s with ${enabledRules} enabled rules, ${window} in flight per device`);
  const meter = cpuMeter(rig.platform.child.pid);
  const load = await generator.run().finally(() => generator.close());
  const cpu = meter();
  const stored = (await countStored(rig.api, thingNames(rig))) - storedBefore;
  const msgsPerSec = load.seconds > 0 ? load.acked / load.seconds : 0;
  const phase: PhaseResult = { enabledRules, ...load, stored, msgsPerSec, cpu };
  checkStored(rig, label, phase);
  return phase;
}

/** Creates the rules over REST and checks the workspace now has them all enabled; answers their names and families. */
async function addRules(rig: Rig, options: RulesOptions): Promise<{ names: string[]; families: RuleActivity['families'] }> {
  const rules = buildRuleSet(options.rules, { thingNames: thingNames(rig), observerThing: rig.observerThing, receiverUrl: rig.receiver.url });
  for (const rule of rules) await rig.api.post<CreatedTopicRule>('/api/v1/rules', rule.request);
  await checkBenchRules(rig, options.rules, true);
  log(`rules: created ${rules.length} enabled rules over POST /api/v1/rules`);
  return { names: rules.map((rule) => rule.request.name), families: familyCounts(rules) };
}

/** Whether the workspace lists `count` bench rules, all enabled or all disabled. */
async function checkBenchRules(rig: Rig, count: number, enabled: boolean): Promise<void> {
  const listed = (await rig.api.get<TopicRuleList>('/api/v1/rules')).items.filter((rule) => rule.name.startsWith('bench_'));
  const matching = listed.filter((rule) => rule.ruleDisabled !== enabled).length;
  if (matching !== count) rig.failures.push(`${count} bench rules should be ${enabled ? 'enabled' : 'disabled'}, but ${matching} of ${listed.length} are`);
}

/** Enables or disables the bench rules over REST (POST /api/v1/rules/{name}/enable|disable). */
async function switchRules(rig: Rig, names: string[], enabled: boolean): Promise<void> {
  for (const name of names) await rig.api.post(`/api/v1/rules/${name}/${enabled ? 'enable' : 'disable'}`, {});
  await checkBenchRules(rig, names.length, enabled);
  log(`rules: ${enabled ? 'enabled' : 'disabled'} the ${names.length} bench rules`);
}

/** The rule dispatcher's counters at GET /metrics: deliveries of every outcome so far, and those waiting. */
async function dispatcherCounts(rig: Rig): Promise<{ deliveries: number; pending: number }> {
  const counts = { deliveries: 0, pending: 0 };
  for (const line of await ruleMetrics(rig.metricsUrl)) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('citus_rule_deliveries_total')) counts.deliveries += value;
    else if (line.startsWith('citus_rule_deliveries_pending')) counts.pending = value;
  }
  return counts;
}

/** Waits until the dispatcher has nothing waiting (retries included); a failure after a minute. */
async function dispatcherDrained(rig: Rig, round: number): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 250) {
    if ((await dispatcherCounts(rig)).pending === 0) return;
    await sleep(250);
  }
  rig.failures.push(`round ${round}: rule deliveries still pending a minute after the rules phase`);
}

/** The rules' effects once the dispatcher has worked off its queues, and the checks that they ran on the load. */
async function observeActivity(rig: Rig, families: RuleActivity['families']): Promise<RuleActivity> {
  const atLoadEnd = { http: rig.receiver.requests, republish: rig.observer.received };
  log('rules: waiting for the actions taken after the PUBACKs to settle');
  const total = async () => rig.receiver.requests + rig.observer.received + (await readShadows(rig.api, thingNames(rig))).updates;
  const settled = await settle(total);
  const shadows = await readShadows(rig.api, thingNames(rig));
  const activity: RuleActivity = {
    families,
    httpAtLoadEnd: atLoadEnd.http,
    httpSettled: rig.receiver.requests,
    httpSigned: rig.receiver.signed,
    observedRepublishesAtLoadEnd: atLoadEnd.republish,
    observedRepublishesSettled: rig.observer.received,
    shadows,
    settleSeconds: settled.seconds,
    metrics: await ruleMetrics(rig.metricsUrl),
  };
  if (activity.httpSettled === 0) rig.failures.push('the receiver got no request: the http rules did not run');
  if (activity.observedRepublishesSettled === 0) rig.failures.push('the observer got no republish: the republish rules did not run');
  if (shadows.thingsWithReported === 0) rig.failures.push('no shadow holds a reported value of a shadow rule');
  return activity;
}

/** Platform (with a metrics listener), devices plus an observer thing, and the HTTP receiver. */
async function startRig(options: RulesOptions): Promise<Rig> {
  const receiver = await ActionReceiver.start();
  const metricsPort = await freePort('127.0.0.1');
  log('platform: starting services/embedded/dist/main.js');
  // The receiver listens on 127.0.0.1, which rules may reach only when private addresses are allowed.
  const platform = await startPlatformProcess({ profileDir: options.profileDir, profileName: 'platform-rules', env: { METRICS_PORT: String(metricsPort), CITUS_RULE_HTTP_PRIVATE: 'allow' } });
  try {
    const api = await RestClient.login(platform.baseUrl, 'admin', platform.adminPassword);
    log(`platform: declaring and activating ${options.devices} devices and an observer`);
    const fleet = await provisionDevices(api, options.devices + 1);
    const observerCredentials = fleet.devices.pop() as DeviceCredentials;
    const observer = await RepublishObserver.connect(platform.mqttPort, fleet.caPem, observerCredentials);
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    return { platform, api, devices: fleet.devices, caPem: fleet.caPem, observerThing: observerCredentials.clientId, receiver, observer, metricsUrl, failures: [] };
  } catch (error) {
    await platform.stop();
    await receiver.stop();
    throw error;
  }
}

async function stopRig(rig: Rig): Promise<void> {
  await rig.observer.close().catch(() => undefined);
  await rig.platform.stop();
  await rig.receiver.stop();
}

/**
 * `pnpm bench rules`: msg/s through the hub with only `store_telemetry`, then with 100 more rules
 * on the same topic mix, in one platform process (issue 4 point 7: at most 20 % slower). The two
 * phases take turns for a few rounds, the rules disabled again between, so that a machine whose
 * speed drifts over the minutes (a shared host) weighs on both alike.
 */
export async function runRulesBenchmark(args: string[]): Promise<void> {
  const options = parseRulesOptions(args);
  const rig = await startRig(options);
  try {
    const rounds: Array<{ defaultRule: PhaseResult; withRules: PhaseResult }> = [];
    let stored = 0;
    let added: Awaited<ReturnType<typeof addRules>> | undefined;
    for (let round = 1; round <= options.rounds; round++) {
      if (added) {
        // What the last rules phase left in the dispatcher (retries too) is done first, so the
        // default phase can be checked to make no rule delivery at all.
        await dispatcherDrained(rig, round);
        await switchRules(rig, added.names, false);
      }
      const before = await dispatcherCounts(rig);
      const defaultRule = await runPhase(rig, `default ${round}`, options, stored);
      stored += defaultRule.stored;
      if ((await dispatcherCounts(rig)).deliveries !== before.deliveries) rig.failures.push(`round ${round}: rules made deliveries while only store_telemetry was enabled`);
      if (added) await switchRules(rig, added.names, true);
      else added = await addRules(rig, options);
      const rulesBefore = await dispatcherCounts(rig);
      const withRules = await runPhase(rig, `rules ${round}`, options, stored);
      stored += withRules.stored;
      if ((await dispatcherCounts(rig)).deliveries === rulesBefore.deliveries) rig.failures.push(`round ${round}: the rules made no delivery in their phase`);
      rounds.push({ defaultRule, withRules });
    }
    const activity = await observeActivity(rig, (added as NonNullable<typeof added>).families);
    const report = buildRulesReport(options, rounds, activity, rig.failures);
    printRulesSummary(report);
    log(`wrote ${writeReport(report)}`);
    if (rig.failures.length > 0) process.exitCode = 1;
  } finally {
    await stopRig(rig);
  }
}
