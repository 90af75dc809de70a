import { performance } from 'node:perf_hooks';
import { TokenBucket } from './token-bucket.js';

export interface PacedDevice {
  inflight: number;
  closed: boolean;
}

export interface PacingPlan {
  /** Publishes a second across all devices. */
  rate: number;
  /** How many of those a second are probes; 0 for none. */
  probesPerSecond: number;
}

const TICK_MS = 5;
/** Saved-up tokens, in seconds of the rate: a stall of the event loop longer than this loses sends. */
const BURST_SECONDS = 0.1;

/**
 * Open-loop publishing at a fixed rate: a token bucket shared by all devices, spent round-robin on
 * the devices with room in their window, every few milliseconds.
 */
export class Pacer<D extends PacedDevice> {
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private bucket: TokenBucket | undefined;
  private nextProbeAt = 0;

  constructor(
    private readonly plan: PacingPlan,
    private readonly window: number,
    private readonly devices: D[],
    private readonly publish: (device: D, probe: boolean) => void,
  ) {}

  start(): void {
    const now = performance.now();
    this.bucket = new TokenBucket(this.plan.rate, this.plan.rate * BURST_SECONDS, now);
    this.nextProbeAt = now;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    let room = 0;
    for (const device of this.devices) if (!device.closed) room += Math.max(0, this.window - device.inflight);
    for (let sends = this.bucket!.take(now, room); sends > 0; sends--) this.publish(this.nextWithRoom(), this.probeDue(now));
  }

  /** The next open device with room in its window; the caller has checked that one exists. */
  private nextWithRoom(): D {
    for (;;) {
      const device = this.devices[this.cursor]!;
      this.cursor = (this.cursor + 1) % this.devices.length;
      if (!device.closed && device.inflight < this.window) return device;
    }
  }

  private probeDue(now: number): boolean {
    if (this.plan.probesPerSecond <= 0 || now < this.nextProbeAt) return false;
    this.nextProbeAt += 1000 / this.plan.probesPerSecond;
    return true;
  }
}
