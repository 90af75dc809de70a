import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Seconds, from 1 ms to 10 s: an HTTP request or a PUBACK (which waits for a durable write, or
 * for back-pressure from the indexer) falls in these.
 */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One series read at scrape time: its label values and its value. */
export type Sample<L extends string> = readonly [labels: Record<L, string>, value: number];

/** The platform's own metrics carry this prefix; Prometheus names are snake_case with the unit last. */
const CITUS_NAME = /^citus_[a-z][a-z0-9_]*$/;

function checkName(name: string, type: 'counter' | 'gauge' | 'histogram'): void {
  if (!CITUS_NAME.test(name)) throw new Error(`metric ${name}: the name must match ${CITUS_NAME}`);
  // Prometheus conventions: a counter ends in _total; other types never do.
  if ((type === 'counter') !== name.endsWith('_total')) throw new Error(`metric ${name}: only counters end in _total`);
}

/**
 * The process's metrics: one registry, holding the Node.js process metrics (CPU, memory, event
 * loop lag, GC, handles) under their usual names, and the platform's own under `citus_`.
 * Counters kept elsewhere as plain numbers, and gauges such as a consumer's lag, are read when
 * Prometheus scrapes (`counterOf`, `gaugeOf`), so they cost nothing in between.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    checkName(name, 'counter');
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets = LATENCY_BUCKETS_SECONDS): Histogram<L> {
    checkName(name, 'histogram');
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** A gauge read at scrape time; series `read` no longer yields are dropped. */
  gaugeOf<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Iterable<Sample<L>>): Gauge<L> {
    checkName(name, 'gauge');
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  }

  /**
   * A counter whose running totals are kept by the code that counts (plain numbers, cheap on a
   * hot path) and read at scrape time. `read` must yield totals that never go down.
   */
  counterOf<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Iterable<Sample<L>>): Counter<L> {
    checkName(name, 'counter');
    return new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  }

  /** Everything in Prometheus's text exposition format. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
