import { performance } from 'node:perf_hooks';
import { sleep } from '../support/async.js';
import type { RestClient } from '../support/rest-client.js';
import { LatencyRecorder } from './latency-recorder.js';
import { isIndexed, isQueryable, type Probe } from './probe-queries.js';

const CHECKS = { queryable: isQueryable, indexed: isIndexed } as const;
export type ProbeCheck = keyof typeof CHECKS;

/** Publish-to-visible times of the probes, in milliseconds; upper bounds, by one poll interval at most. */
export interface VisibilityFigures {
  probes: number;
  /** Probes not visible by the end of the wait: they fail the goal whatever the percentiles say. */
  unseen: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ProbeFigures extends Record<ProbeCheck, VisibilityFigures> {
  pollIntervalMs: number;
  polls: number;
  pollErrors: number;
}

interface Pending {
  probe: Probe;
  check: ProbeCheck;
  dueAt: number;
}

// Polling must not become load of its own: each pending check at most every 100 ms, and no more
// than a few requests at a time against the platform under test.
const POLL_INTERVAL_MS = 100;
const MAX_CONCURRENT_POLLS = 8;
const TICK_MS = 10;

/** Polls the series read and search for each probe until it shows, recording how long that took. */
export class ProbePoller {
  private readonly pending: Pending[] = [];
  private readonly latency: Record<ProbeCheck, LatencyRecorder> = { queryable: new LatencyRecorder(), indexed: new LatencyRecorder() };
  private readonly added: Record<ProbeCheck, number> = { queryable: 0, indexed: 0 };
  private inFlight = 0;
  private polls = 0;
  private errors = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly api: RestClient,
    private readonly log: (message: string) => void,
  ) {}

  add(probe: Probe): void {
    this.timer ??= setInterval(() => this.pollDue(), TICK_MS);
    for (const check of Object.keys(CHECKS) as ProbeCheck[]) {
      this.added[check]++;
      this.pending.push({ probe, check, dueAt: performance.now() });
    }
  }

  /** Checks not yet seen, polled now or waiting for their turn. */
  get waiting(): number {
    return this.pending.length + this.inFlight;
  }

  /** Waits until every probe has shown or `timeoutMs` has passed, then stops polling. */
  async finish(timeoutMs: number): Promise<ProbeFigures> {
    const deadline = performance.now() + timeoutMs;
    while (this.waiting > 0 && performance.now() < deadline) await sleep(50);
    this.stop();
    const figures = { queryable: this.figures('queryable'), indexed: this.figures('indexed') };
    return { ...figures, pollIntervalMs: POLL_INTERVAL_MS, polls: this.polls, pollErrors: this.errors };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private figures(check: ProbeCheck): VisibilityFigures {
    const recorder = this.latency[check];
    const [p50Ms = Number.NaN, p99Ms = Number.NaN, maxMs = Number.NaN] = recorder.percentiles(50, 99, 100);
    return { probes: this.added[check], unseen: this.added[check] - recorder.count, p50Ms, p99Ms, maxMs };
  }

  private pollDue(): void {
    const now = performance.now();
    while (this.inFlight < MAX_CONCURRENT_POLLS) {
      let index = -1;
      for (let i = 0; i < this.pending.length; i++) {
        if (this.pending[i]!.dueAt <= now && (index < 0 || this.pending[i]!.dueAt < this.pending[index]!.dueAt)) index = i;
      }
      if (index < 0) return;
      const [entry] = this.pending.splice(index, 1);
      void this.poll(entry!);
    }
  }

  private async poll(entry: Pending): Promise<void> {
    this.inFlight++;
    this.polls++;
    const startedAt = performance.now();
    try {
      if (await CHECKS[entry.check](this.api, entry.probe)) {
        this.latency[entry.check].record(performance.now() - entry.probe.sentAt);
        return;
      }
    } catch (error) {
      if (this.errors++ === 0) this.log(`  probe poll failed (later failures only counted): ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.inFlight--;
    }
    entry.dueAt = startedAt + POLL_INTERVAL_MS;
    this.pending.push(entry);
  }
}
