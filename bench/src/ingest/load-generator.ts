import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import { mapLimit, sleep, withTimeout } from '../support/async.js';
import type { DeviceCredentials } from '../support/platform-devices.js';
import { connectDevice } from './device-connection.js';
import { LatencyRecorder } from './latency-recorder.js';
import { Pacer, type PacingPlan } from './pacer.js';
import { ProbeMarkers, type Probe } from './probe-queries.js';
import { telemetryPayload } from './telemetry-payload.js';

export interface LoadPlan {
  label: string;
  mqttPort: number;
  caPem: string;
  devices: DeviceCredentials[];
  durationSeconds: number;
  window: number;
  deviceTimestamps: boolean;
  /** Publish at a fixed rate instead of as fast as PUBACKs come back; probes are handed over once acknowledged. */
  pacing?: PacingPlan & { onProbe: (probe: Probe) => void };
  /** More to say on each progress line (e.g. the platform's memory). */
  progressNote?: () => string;
  /** The topics a device publishes to in turn; without it, only `telemetry/{clientId}`. */
  topicsOf?: (clientId: string) => readonly string[];
}

export interface LoadResult {
  published: number;
  acked: number;
  /** Acknowledged publishes on `telemetry/...` topics: the ones the platform must have stored. */
  ackedTelemetry: number;
  /** Publishes answered with an error, or outstanding on a connection that closed. */
  lost: number;
  /** From the first publish to the last PUBACK. */
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}

interface Device {
  client: MqttClient;
  clientId: string;
  topic: string;
  topics: readonly string[];
  /** How many publishes the device has sent: picks its next topic. */
  sent: number;
  inflight: number;
  closed: boolean;
  lastEpoch: number;
}

const CONNECT_CONCURRENCY = 10;
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Drives QoS 1 telemetry from many devices over TLS for the planned time, then waits for the
 * acknowledgements still outstanding. At full speed each device keeps `window` publishes in flight
 * and sends the next one as soon as a PUBACK comes back; paced, a `Pacer` sends at the planned rate
 * with `window` as each device's limit.
 */
export class LoadGenerator {
  private readonly latency = new LatencyRecorder();
  private published = 0;
  private acked = 0;
  private ackedTelemetry = 0;
  private lost = 0;
  private inflight = 0;
  private running = false;
  private lastAckAt = 0;
  private onDrained: (() => void) | undefined;
  private readonly probeMarkers = new ProbeMarkers();

  private constructor(
    private readonly plan: LoadPlan,
    private readonly devices: Device[],
  ) {}

  static async connect(plan: LoadPlan): Promise<LoadGenerator> {
    const devices = await mapLimit(plan.devices, CONNECT_CONCURRENCY, async (credentials): Promise<Device> => {
      const client = await connectDevice(plan.mqttPort, plan.caPem, credentials);
      const { clientId } = credentials;
      const topics = plan.topicsOf?.(clientId) ?? [`telemetry/${clientId}`];
      return { client, clientId, topic: topics[0] ?? `telemetry/${clientId}`, topics, sent: 0, inflight: 0, closed: false, lastEpoch: 0 };
    });
    const generator = new LoadGenerator(plan, devices);
    for (const device of devices) device.client.on('close', () => generator.onClose(device));
    return generator;
  }

  async run(): Promise<LoadResult> {
    const startedAt = performance.now();
    this.running = true;
    const pacer = this.plan.pacing && new Pacer(this.plan.pacing, this.plan.window, this.devices, (device, probe) => this.publish(device, probe));
    if (pacer) pacer.start();
    else for (const device of this.devices) for (let i = 0; i < this.plan.window; i++) this.publish(device);
    await this.reportProgress(startedAt);
    pacer?.stop();
    this.running = false;
    await this.drain();
    const [p50Ms = Number.NaN, p99Ms = Number.NaN] = this.latency.percentiles(50, 99);
    const seconds = (Math.max(this.lastAckAt, startedAt) - startedAt) / 1000;
    const { published, acked, ackedTelemetry, lost } = this;
    return { published, acked, ackedTelemetry, lost, seconds, p50Ms, p99Ms };
  }

  /** Disconnects every device cleanly, or cuts the ones that do not finish within a few seconds. */
  async close(): Promise<void> {
    await Promise.all(
      this.devices.map((device) =>
        withTimeout(device.client.endAsync(), 5_000, 'slow disconnect').catch(() => device.client.end(true)),
      ),
    );
  }

  private publish(device: Device, probe = false): void {
    device.inflight++;
    this.inflight++;
    this.published++;
    const fromEpoch = Date.now();
    const marked = probe ? this.probeMarkers.next() : undefined;
    const payload = telemetryPayload(device, this.plan.deviceTimestamps, marked?.label);
    const topic = device.topics[device.sent++ % device.topics.length] ?? device.topic;
    const sentAt = performance.now();
    device.client.publish(topic, payload, { qos: 1 }, (error) => {
      if (!error && !device.closed && topic.startsWith('telemetry/')) this.ackedTelemetry++;
      this.onAck(device, sentAt, error);
      if (marked && !error) this.plan.pacing?.onProbe({ thingName: device.clientId, ...marked, sentAt, fromEpoch });
    });
  }

  private onAck(device: Device, sentAt: number, error: Error | undefined): void {
    if (device.closed) return;
    device.inflight--;
    this.inflight--;
    if (error) {
      this.lost++;
    } else {
      this.lastAckAt = performance.now();
      this.acked++;
      this.latency.record(this.lastAckAt - sentAt);
    }
    if (this.running && !error && !this.plan.pacing) this.publish(device);
    else if (this.inflight === 0) this.onDrained?.();
  }

  /** A connection that closes loses what it had in flight: MQTT 3.1.1 resends only on a reconnect. */
  private onClose(device: Device): void {
    if (device.closed) return;
    device.closed = true;
    if (this.running) process.stderr.write(`  ${this.plan.label}: connection of ${device.topic} closed during the run\n`);
    this.lost += device.inflight;
    this.inflight -= device.inflight;
    device.inflight = 0;
    if (!this.running && this.inflight === 0) this.onDrained?.();
  }

  private async drain(): Promise<void> {
    if (this.inflight === 0) return;
    const drained = new Promise<void>((resolve) => (this.onDrained = resolve));
    const message = `${this.plan.label}: publishes still unacknowledged after ${DRAIN_TIMEOUT_MS} ms`;
    await withTimeout(drained, DRAIN_TIMEOUT_MS, message);
  }

  /** One line a second on stderr while publishing. */
  private async reportProgress(startedAt: number): Promise<void> {
    let previous = 0;
    for (let second = 1; second <= this.plan.durationSeconds; second++) {
      await sleep(startedAt + second * 1000 - performance.now());
      const rate = this.acked - previous;
      previous = this.acked;
      process.stderr.write(
        `  ${this.plan.label.padEnd(8)} ${String(second).padStart(3)}s  acked ${this.acked.toLocaleString('en-US').padStart(9)}` +
          `  ${rate.toLocaleString('en-US').padStart(7)} msg/s  in flight ${this.inflight}${this.plan.progressNote?.() ?? ''}\n`,
      );
    }
  }
}
