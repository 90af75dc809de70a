import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { withTimeout, sleep } from '../support/async.js';
import { spawnNode, stopChild } from '../support/child-process.js';
import { repoPath } from '../support/paths.js';
import type { DeviceCredentials } from '../support/platform-devices.js';
import type { IdleClientsReply, IdleClientsRequest } from './idle-clients.js';
import { closeFleet, connectFleet } from './device-fleet.js';
import type { MemorySample } from './memory-probe.js';

export interface IdleMemoryPlan {
  mqttPort: number;
  caPem: string;
  /** The devices connected at once and left idle. */
  devices: DeviceCredentials[];
  /** Connected and disconnected first, so the baseline already holds the code a connection runs. */
  warmupDevices: DeviceCredentials[];
  clientProcesses: number;
  settleSeconds: number;
}

export interface IdleMemoryResult {
  devices: number;
  connected: number;
  /** Client side: from the first TLS handshake to the last CONNACK, all processes together. */
  connectSeconds: number;
  baseline: MemorySample;
  loaded: MemorySample;
  rssPerConnectionBytes: number;
  heapPerConnectionBytes: number;
  /** `external` (Buffers and other memory V8 tracks outside its heap) per connection. */
  externalPerConnectionBytes: number;
}

const STABLE_RSS_BYTES = 1 << 20;
const MAX_SAMPLES = 10;

async function sampleOnce(platform: ChildProcess): Promise<MemorySample> {
  const reply = once(platform, 'message') as Promise<[MemorySample]>;
  platform.send('measure');
  const [sample] = await withTimeout(reply, 60_000, 'the platform did not report its memory');
  return sample;
}

/**
 * The platform's memory after forced garbage collections, read in its own process by
 * `memory-probe.js`; sampled a second apart until RSS moves by less than 1 MB, since V8 hands
 * freed heap pages back to the OS lazily after a collection.
 */
export async function measurePlatform(platform: ChildProcess): Promise<MemorySample> {
  let sample = await sampleOnce(platform);
  for (let i = 1; i < MAX_SAMPLES; i++) {
    await sleep(1000);
    const next = await sampleOnce(platform);
    const stable = Math.abs(next.rss - sample.rss) < STABLE_RSS_BYTES;
    sample = next;
    if (stable) break;
  }
  return sample;
}

async function ask(child: ChildProcess, message: unknown, timeoutMs: number): Promise<IdleClientsReply> {
  const reply = once(child, 'message') as Promise<[IdleClientsReply]>;
  child.send(message as object);
  const [answer] = await withTimeout(reply, timeoutMs, 'an idle-client process did not answer');
  if ('error' in answer) throw new Error(`idle clients: ${answer.error}`);
  return answer;
}

/** Splits the devices over `count` child processes and connects each share there, all at once. */
async function connectIdle(plan: IdleMemoryPlan, children: ChildProcess[]): Promise<{ connected: number; seconds: number }> {
  const share = Math.ceil(plan.devices.length / children.length);
  const startedAt = Date.now();
  const replies = await Promise.all(
    children.map((child, index) => {
      const request: IdleClientsRequest = { mqttPort: plan.mqttPort, caPem: plan.caPem, devices: plan.devices.slice(index * share, (index + 1) * share), concurrency: 16 };
      return ask(child, request, 600_000);
    }),
  );
  return { connected: replies.reduce((sum, reply) => sum + ('connected' in reply ? reply.connected : 0), 0), seconds: (Date.now() - startedAt) / 1000 };
}

/**
 * Idle memory per connected TLS device: the platform's memory with no device connected (after a
 * warm-up), then with every device connected, idle and settled; the difference over the count.
 * Both read after forced GCs; RSS includes OpenSSL's per-connection state, which the V8 heap does not.
 */
export async function measureIdleMemory(platform: ChildProcess, plan: IdleMemoryPlan, log: (line: string) => void): Promise<IdleMemoryResult> {
  const warm = await connectFleet(plan, plan.warmupDevices);
  await closeFleet(warm.clients);
  await sleep(plan.settleSeconds * 1000);
  const baseline = await measurePlatform(platform);
  log(`memory: baseline rss ${mb(baseline.rss)}, heap ${mb(baseline.heapUsed)} with no device connected`);
  const children = Array.from({ length: plan.clientProcesses }, () => spawnNode(repoPath('bench/dist/hub/idle-clients.js'), { ipc: true }));
  try {
    log(`memory: connecting ${plan.devices.length} idle TLS devices from ${children.length} processes`);
    const { connected, seconds } = await connectIdle(plan, children);
    log(`memory: ${connected} connected in ${seconds.toFixed(1)} s; settling ${plan.settleSeconds} s`);
    await sleep(plan.settleSeconds * 1000);
    const loaded = await measurePlatform(platform);
    const still = await Promise.all(children.map((child) => ask(child, 'status', 30_000)));
    const stillConnected = still.reduce((sum, reply) => sum + ('connected' in reply ? reply.connected : 0), 0);
    log(`memory: rss ${mb(loaded.rss)}, heap ${mb(loaded.heapUsed)} with ${stillConnected} devices connected`);
    const per = (key: 'rss' | 'heapUsed' | 'external'): number => (loaded[key] - baseline[key]) / Math.max(1, stillConnected);
    return {
      devices: plan.devices.length,
      connected: stillConnected,
      connectSeconds: seconds,
      baseline,
      loaded,
      rssPerConnectionBytes: per('rss'),
      heapPerConnectionBytes: per('heapUsed'),
      externalPerConnectionBytes: per('external'),
    };
  } finally {
    await Promise.all(children.map((child) => closeChild(child)));
  }
}

/** Lets the child disconnect its devices cleanly; stops it if it takes too long. */
async function closeChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (child.connected) child.send('close');
  await withTimeout(exited, 30_000, 'slow close').catch(() => stopChild(child));
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;
