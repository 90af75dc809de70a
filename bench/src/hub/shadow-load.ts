import { performance } from 'node:perf_hooks';
import { ShadowDocument, ShadowErrorResponse, ShadowUpdateAccepted, shadowTopicPrefix } from '@citus/contracts';
import { LatencyRecorder } from '../ingest/latency-recorder.js';
import { mapLimit, sleep, withTimeout } from '../support/async.js';
import { cpuMeter } from '../support/process-cpu.js';
import type { RestClient } from '../support/rest-client.js';
import type { TlsMqttClient } from './tls-mqtt-client.js';

export interface ShadowPlan {
  warmupSeconds: number;
  durationSeconds: number;
  window: number;
  /** The platform's pid, to read its CPU time over the measured window. */
  platformPid?: number;
}

export interface ShadowResult {
  devices: number;
  window: number;
  /** Accepted replies received in the measured window, and its length. */
  measuredAccepted: number;
  seconds: number;
  updatesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Over the whole run: warm-up, measured window and drain. */
  sent: number;
  accepted: number;
  rejected: number;
  /** Requests without a reply after the drain, or lost with a closed connection. */
  unanswered: number;
  /** CPU of the platform process and of this load generator over the measured window, percent of one core. */
  cpu: { platformCorePercent: number | null; benchCorePercent: number };
  /** Correctness failures: rejections, versions that did not advance, final versions that disagree. */
  errors: string[];
}

interface Device {
  client: TlsMqttClient;
  thingName: string;
  topic: string;
  seq: number;
  /** clientToken -> send time of the requests awaiting their reply. */
  pending: Map<string, number>;
  lastVersion: number;
  accepted: number;
  checkedShape: boolean;
}

const DRAIN_TIMEOUT_MS = 30_000;
const MAX_ERRORS = 20;

/**
 * Device Shadow updates from every device, closed loop: each keeps `window` updates of its
 * `reported` state in flight (QoS 1) and sends the next when the `update/accepted` reply with its
 * clientToken arrives (AWS IoT developer guide, "Device Shadow MQTT topics"). Replies reach the
 * requester without a subscription, as on AWS IoT. Counted: accepted replies in the measured window.
 */
export class ShadowLoad {
  private readonly latency = new LatencyRecorder();
  private readonly errors: string[] = [];
  private running = false;
  private measuring = false;
  private sent = 0;
  private accepted = 0;
  private rejected = 0;
  private measured = 0;
  private outstanding = 0;
  private lost = 0;
  private onDrained: (() => void) | undefined;
  private readonly devices: Device[];

  constructor(clients: TlsMqttClient[], private readonly plan: ShadowPlan) {
    this.devices = clients.map((client) => ({
      client,
      thingName: client.clientId,
      topic: `${shadowTopicPrefix(client.clientId)}/update`,
      seq: 0,
      pending: new Map(),
      lastVersion: 0,
      accepted: 0,
      checkedShape: false,
    }));
    for (const device of this.devices) {
      device.client.onMessage = (topic, payload) => this.onReply(device, topic, payload);
      device.client.onClose = () => this.onClose(device);
    }
  }

  async run(log: (line: string) => void): Promise<ShadowResult> {
    this.running = true;
    for (const device of this.devices) for (let i = 0; i < this.plan.window; i++) this.send(device);
    await this.progress('warm-up', this.plan.warmupSeconds, log);
    this.measuring = true;
    const startedAt = performance.now();
    const cpu = cpuMeter(this.plan.platformPid);
    await this.progress('measure', this.plan.durationSeconds, log);
    this.measuring = false;
    const cpuUsed = cpu();
    const seconds = (performance.now() - startedAt) / 1000;
    this.running = false;
    await this.drain();
    const [p50Ms = Number.NaN, p99Ms = Number.NaN] = this.latency.percentiles(50, 99);
    const measuredAccepted = this.measured;
    if (this.outstanding > 0) this.error(`${this.outstanding} shadow updates got no reply within ${DRAIN_TIMEOUT_MS} ms`);
    if (this.lost > 0) this.error(`${this.lost} shadow updates were lost with a closed connection`);
    return {
      devices: this.devices.length,
      window: this.plan.window,
      measuredAccepted,
      seconds,
      updatesPerSec: measuredAccepted / seconds,
      p50Ms,
      p99Ms,
      sent: this.sent,
      accepted: this.accepted,
      rejected: this.rejected,
      unanswered: this.outstanding + this.lost,
      cpu: cpuUsed,
      errors: this.errors,
    };
  }

  /** Reads every shadow over HTTP: its version must equal the updates accepted for it (a new shadow starts at 1). */
  async verify(api: RestClient, result: ShadowResult): Promise<void> {
    await mapLimit(this.devices, 8, async (device) => {
      const document = ShadowDocument.parse(await api.get(`/api/v1/things/${device.thingName}/shadow`));
      if (document.version !== device.accepted) {
        this.error(`${device.thingName}: shadow version ${document.version} after ${device.accepted} accepted updates`);
      }
    });
    result.errors = this.errors;
  }

  private send(device: Device): void {
    const clientToken = `${device.thingName}:${++device.seq}`;
    const payload = JSON.stringify({
      state: { reported: { seq: device.seq, temperature: Math.round((18 + Math.random() * 8) * 100) / 100, firmware: '1.4.2' } },
      clientToken,
    });
    device.pending.set(clientToken, performance.now());
    this.sent++;
    this.outstanding++;
    device.client.publish(device.topic, payload, 1);
  }

  private onReply(device: Device, topic: string, payload: Buffer): void {
    const accepted = topic.endsWith('/update/accepted');
    if (!accepted && !topic.endsWith('/update/rejected')) return;
    const reply = JSON.parse(payload.toString('utf8')) as { clientToken?: string; version?: number };
    const sentAt = reply.clientToken === undefined ? undefined : device.pending.get(reply.clientToken);
    if (sentAt === undefined) return this.error(`${device.thingName}: reply with an unknown clientToken ${reply.clientToken}`);
    device.pending.delete(reply.clientToken as string);
    this.outstanding--;
    if (accepted) this.onAccepted(device, reply, payload, sentAt);
    else {
      this.rejected++;
      const rejection = ShadowErrorResponse.safeParse(JSON.parse(payload.toString('utf8')));
      this.error(`${device.thingName}: update rejected: ${rejection.success ? `${rejection.data.code} ${rejection.data.message}` : payload.toString('utf8')}`);
    }
    if (this.running) this.send(device);
    else if (this.outstanding === 0) this.onDrained?.();
  }

  private onAccepted(device: Device, reply: { version?: number }, payload: Buffer, sentAt: number): void {
    // The full contract check once per device; the hot path reads only what it counts.
    if (!device.checkedShape) {
      device.checkedShape = true;
      const parsed = ShadowUpdateAccepted.safeParse(JSON.parse(payload.toString('utf8')));
      if (!parsed.success) this.error(`${device.thingName}: update/accepted does not match the contract: ${parsed.error.message}`);
    }
    const version = reply.version ?? Number.NaN;
    if (!(version > device.lastVersion)) this.error(`${device.thingName}: version ${version} after ${device.lastVersion}: it did not advance`);
    device.lastVersion = version;
    device.accepted++;
    this.accepted++;
    if (this.measuring) {
      this.measured++;
      this.latency.record(performance.now() - sentAt);
    }
  }

  /** A closed connection loses what it had in flight: MQTT 3.1.1 resends only on a reconnect. */
  private onClose(device: Device): void {
    if (device.pending.size === 0 && !this.running) return;
    this.error(`${device.thingName}: connection closed with ${device.pending.size} updates in flight`);
    this.lost += device.pending.size;
    this.outstanding -= device.pending.size;
    device.pending.clear();
    if (this.outstanding === 0) this.onDrained?.();
  }

  private error(message: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(message);
    else if (this.errors.length === MAX_ERRORS) this.errors.push('(more errors left out)');
  }

  private async drain(): Promise<void> {
    if (this.outstanding === 0) return;
    const drained = new Promise<void>((resolve) => (this.onDrained = resolve));
    await withTimeout(drained, DRAIN_TIMEOUT_MS, 'drain').catch(() => undefined);
  }

  private async progress(phase: string, seconds: number, log: (line: string) => void): Promise<void> {
    const startedAt = performance.now();
    let previous = this.accepted;
    for (let second = 1; second <= seconds; second++) {
      await sleep(startedAt + second * 1000 - performance.now());
      log(`  shadow ${phase.padEnd(7)} ${String(second).padStart(3)}s  ${(this.accepted - previous).toLocaleString('en-US').padStart(7)} accepted/s  in flight ${this.outstanding}`);
      previous = this.accepted;
    }
  }
}
