import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { releaseUpdateDocument, type Me, type Release, type ReleaseUpdateDocument } from '@citus/contracts';
import { writeReport } from '../ingest/ingest-report.js';
import { closeFleet, connectFleet } from '../hub/device-fleet.js';
import type { TlsMqttClient } from '../hub/tls-mqtt-client.js';
import { mapLimit, withTimeout } from '../support/async.js';
import { provisionDevices } from '../support/platform-devices.js';
import { startPlatformProcess } from '../support/platform-process.js';
import { RestClient } from '../support/rest-client.js';
import { parseOtaOptions, type OtaOptions } from './ota-options.js';

const log = (message: string): void => void process.stderr.write(`${message}\n`);
const NOTIFY_GOAL_SECONDS = 5;
const PHASE_TIMEOUT_MS = 300_000;

interface Device {
  client: TlsMqttClient;
  thingName: string;
  notifiedAt?: number;
  document?: ReleaseUpdateDocument;
  doneAt?: number;
  failure?: string;
  /** Replies the device waits for, by topic. */
  waiting: Map<string, (payload: Record<string, unknown>) => void>;
}

/** The reply on `topic` to the request `send` makes (replies on reserved topics reach the requester without a subscription). */
function request(device: Device, topic: string, send: () => void): Promise<Record<string, unknown>> {
  const reply = new Promise<Record<string, unknown>>((resolve) => device.waiting.set(topic, resolve));
  send();
  return withTimeout(reply, 30_000, `${device.thingName}: no reply on ${topic}`);
}

/** One device's part of the rollout: start-next, download with its link, check, report SUCCEEDED. */
async function takeUpdate(device: Device, baseUrl: string, jobId: string): Promise<void> {
  const prefix = `$aws/things/${device.thingName}/jobs`;
  const started = await request(device, `${prefix}/start-next/accepted`, () => device.client.publish(`${prefix}/start-next`, JSON.stringify({ clientToken: 's' })));
  const execution = started.execution as { jobId: string; versionNumber: number; jobDocument: ReleaseUpdateDocument } | undefined;
  if (!execution || execution.jobId !== jobId) throw new Error(`${device.thingName}: start-next gave ${JSON.stringify(execution?.jobId)}`);
  const { url, sha256 } = execution.jobDocument.release;
  if (!url || url.startsWith('${')) throw new Error(`${device.thingName}: no download link in its job document`);
  const response = await fetch(`${baseUrl}${url}`, { signal: AbortSignal.timeout(60_000) });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (!response.ok || createHash('sha256').update(bytes).digest('hex') !== sha256) throw new Error(`${device.thingName}: download ${response.status}, not the signed bytes`);
  const update = JSON.stringify({ status: 'SUCCEEDED', expectedVersion: execution.versionNumber, clientToken: 'u' });
  await request(device, `${prefix}/${jobId}/update/accepted`, () => device.client.publish(`${prefix}/${jobId}/update`, update));
  device.doneAt = performance.now();
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

async function prepare(api: RestClient, options: OtaOptions): Promise<{ release: Release; workspaceId: string }> {
  const workspaceId = (await api.get<Me>('/api/v1/me')).memberships.find((membership) => membership.workspaceSlug === 'default')?.workspaceId ?? '';
  const created = await api.post<Release>('/api/v1/releases', { kind: 'artifact', version: `bench-${Date.now().toString(36)}` });
  const release = await api.putBytes<Release>(`/api/v1/releases/${created.releaseId}/artifact`, randomBytes(options.artifactBytes));
  return { release, workspaceId };
}

/** `pnpm bench ota`: one update job to every connected device, at no rollout limit (issue 6 point 8). */
export async function runOtaBenchmark(args: string[]): Promise<void> {
  const options = parseOtaOptions(args);
  const platform = await startPlatformProcess({ profileName: 'platform-ota' });
  let clients: TlsMqttClient[] = [];
  try {
    const api = await RestClient.login(platform.baseUrl, 'admin', platform.adminPassword);
    log(`platform: declaring and activating ${options.devices} devices`);
    const fleet = await provisionDevices(api, options.devices, { onProgress: (done) => done % 200 === 0 && log(`  ${done} activated`) });
    const { release, workspaceId } = await prepare(api, options);
    const connected = await connectFleet({ mqttPort: platform.mqttPort, caPem: fleet.caPem }, fleet.devices);
    clients = connected.clients;
    log(`devices: ${clients.length} connected in ${connected.seconds.toFixed(1)} s; subscribing to notify-next`);
    const devices: Device[] = clients.map((client) => ({ client, thingName: client.clientId, waiting: new Map() }));
    let notified = 0;
    let allNotified: () => void = () => undefined;
    const everyone = new Promise<void>((resolve) => (allNotified = resolve));
    for (const device of devices) {
      device.client.onMessage = (topic, payload) => {
        const body = JSON.parse(payload.toString()) as Record<string, unknown>;
        if (topic.endsWith('/notify-next') && body.execution && device.notifiedAt === undefined) {
          device.notifiedAt = performance.now();
          device.document = (body.execution as { jobDocument: ReleaseUpdateDocument }).jobDocument;
          if (++notified === devices.length) allNotified();
          return;
        }
        device.waiting.get(topic)?.(body);
        device.waiting.delete(topic);
      };
    }
    await mapLimit(devices, 64, (device) => device.client.subscribe(`$aws/things/${device.thingName}/jobs/notify-next`));

    const jobId = `ota-${Date.now().toString(36)}`;
    log(`job ${jobId}: one update for ${devices.length} devices, no rollout limit`);
    const startedAt = performance.now();
    await api.post('/api/v1/jobs', { jobId, targets: devices.map((device) => device.thingName), document: releaseUpdateDocument(workspaceId, release) });
    const createdAt = performance.now();
    await withTimeout(everyone, PHASE_TIMEOUT_MS, `only ${notified} of ${devices.length} devices notified`);
    const notifyTimes = devices.map((device) => ((device.notifiedAt as number) - startedAt) / 1000).sort((a, b) => a - b);
    const links = new Set(devices.map((device) => device.document?.release.url));
    const failures: string[] = [];
    if (links.size !== devices.length || links.has(undefined)) failures.push(`expected a link of its own for each device, got ${links.size} distinct for ${devices.length}`);

    log('rollout: every device starts the job, downloads with its link, checks the SHA-256 and reports SUCCEEDED');
    await mapLimit(devices, options.downloads, (device) =>
      takeUpdate(device, platform.baseUrl, jobId).catch((error: unknown) => void (device.failure = error instanceof Error ? error.message : String(error))),
    );
    for (const device of devices) if (device.failure && failures.length < 10) failures.push(device.failure);
    const succeeded = devices.filter((device) => device.doneAt !== undefined).length;
    const rolloutSeconds = (Math.max(...devices.map((device) => device.doneAt ?? 0)) - startedAt) / 1000;
    const lastNotified = notifyTimes.at(-1) ?? 0;
    const report = {
      benchmark: 'ota',
      machine: { node: process.version },
      options,
      createJobSeconds: (createdAt - startedAt) / 1000,
      notified: { devices: devices.length, lastSeconds: lastNotified, p50Seconds: percentile(notifyTimes, 50), perSecond: devices.length / Math.max(lastNotified, 0.001) },
      rollout: { succeeded, seconds: rolloutSeconds },
      goal: { goal: `${devices.length} devices notified within ${NOTIFY_GOAL_SECONDS} s`, measuredSeconds: lastNotified, met: devices.length >= 1000 && lastNotified <= NOTIFY_GOAL_SECONDS },
      failures,
    };
    console.log(`\nota: ${devices.length} devices, a ${options.artifactBytes / 1024} KB signed artifact, one job, no rollout limit`);
    console.log(`  POST /api/v1/jobs answered after        ${report.createJobSeconds.toFixed(2)} s`);
    console.log(`  every device notified (notify-next) in  ${lastNotified.toFixed(2)} s (p50 ${report.notified.p50Seconds.toFixed(2)} s): ${report.notified.perSecond.toFixed(0)} notifications/s, each with a link of its own`);
    console.log(`  rollout done (start, download, check, SUCCEEDED): ${succeeded}/${devices.length} in ${rolloutSeconds.toFixed(2)} s`);
    console.log(`\ngoal (issue 6 point 8): 1,000 devices notified within ${NOTIFY_GOAL_SECONDS} s -> ${report.goal.met ? 'met' : 'NOT met'} (${lastNotified.toFixed(2)} s for ${devices.length})`);
    for (const failure of failures) console.log(`FAILED: ${failure}`);
    log(`wrote ${writeReport(report)}`);
    if (failures.length > 0 || succeeded !== devices.length) process.exitCode = 1;
  } finally {
    await closeFleet(clients);
    await platform.stop();
  }
}
