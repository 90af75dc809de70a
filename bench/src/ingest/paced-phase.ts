import { performance } from 'node:perf_hooks';
import { sleep, withTimeout } from '../support/async.js';
import type { RestClient } from '../support/rest-client.js';
import { connectDevice } from './device-connection.js';
import type { IngestOptions } from './ingest-options.js';
import { LoadGenerator, type LoadPlan } from './load-generator.js';
import { ProbePoller, type ProbeFigures } from './probe-poller.js';
import { isIndexed, ProbeMarkers, type Probe } from './probe-queries.js';
import { telemetryPayload } from './telemetry-payload.js';

export interface PacedResult extends ProbeFigures {
  targetRate: number;
  durationSeconds: number;
  probesPerSecond: number;
  /** Publishes each device may have in flight. */
  window: number;
  published: number;
  acked: number;
  lost: number;
  seconds: number;
  /** Acknowledged publishes a second, from the first publish to the last PUBACK. */
  achievedRate: number;
  /** Publish-to-PUBACK. */
  p50Ms: number;
  p99Ms: number;
  /** How long the indexer took to show a message sent after the max-rate phase: its backlog then. */
  indexerBacklogSeconds: number;
}

type Target = Pick<LoadPlan, 'mqttPort' | 'caPem' | 'devices'>;

const PROBES_PER_SECOND = 5;
/** After publishing stops, how long a probe may still take to show before it counts as unseen. */
const PROBE_WAIT_MS = 30_000;
const BACKLOG_WAIT_MS = 900_000;
/**
 * Paced, the window is only a safety limit: were it reached, a slow PUBACK would hold back the next
 * sends and hide the very latency measured (coordinated omission). At 10,000 msg/s over 50 devices
 * the max-rate window of 16 is reached once PUBACKs take 80 ms.
 */
const PACED_MIN_WINDOW = 64;

/**
 * Publishes one probe and waits until search finds it: the paced phase measures the indexer at
 * the paced rate, not the backlog the max-rate phase left behind.
 */
async function waitForIndexer(api: RestClient, target: Target, options: IngestOptions): Promise<number> {
  const device = target.devices[0]!;
  const client = await connectDevice(target.mqttPort, target.caPem, device);
  const marked = new ProbeMarkers().next();
  const fromEpoch = Date.now();
  const sentAt = performance.now();
  try {
    await client.publishAsync(`telemetry/${device.clientId}`, telemetryPayload({ lastEpoch: 0 }, options.deviceTimestamps, marked.label), { qos: 1 });
  } finally {
    await withTimeout(client.endAsync(), 5_000, 'slow disconnect').catch(() => client.end(true));
  }
  const probe: Probe = { thingName: device.clientId, ...marked, sentAt, fromEpoch };
  while (!(await isIndexed(api, probe))) {
    if (performance.now() - sentAt > BACKLOG_WAIT_MS) throw new Error(`search did not show a probe within ${BACKLOG_WAIT_MS / 1000} s`);
    await sleep(250);
  }
  return (performance.now() - sentAt) / 1000;
}

/**
 * Issue 5 point 6 at a set rate: the platform takes `pacedRate` msg/s while sampled messages are
 * polled for through the series read (publish-to-queryable) and search (indexer lag).
 */
export async function runPacedPhase(api: RestClient, target: Target, options: IngestOptions, log: (message: string) => void): Promise<PacedResult> {
  const { pacedRate: rate, pacedDurationSeconds: durationSeconds, deviceTimestamps } = options;
  const window = Math.max(options.window, PACED_MIN_WINDOW);
  log('paced: waiting for search to show a message sent now (the indexer working off the max-rate backlog)');
  const indexerBacklogSeconds = await waitForIndexer(api, target, options);
  log(`paced: search caught up in ${indexerBacklogSeconds.toFixed(1)} s`);
  log(`paced: connecting ${target.devices.length} devices`);
  const poller = new ProbePoller(api, log);
  const plan: LoadPlan = {
    label: 'paced',
    ...target,
    durationSeconds,
    window,
    deviceTimestamps,
    pacing: { rate, probesPerSecond: PROBES_PER_SECOND, onProbe: (probe) => poller.add(probe) },
    progressNote: () => `  probe checks waiting ${poller.waiting}`,
  };
  const generator = await LoadGenerator.connect(plan);
  try {
    const perDevice = `at most ${window} in flight per device`;
    log(`paced: ${rate.toLocaleString('en-US')} msg/s for ${durationSeconds} s, ${perDevice}, ${PROBES_PER_SECOND} probes a second`);
    const load = await generator.run();
    log('paced: waiting for the last probes to show');
    const figures = await poller.finish(PROBE_WAIT_MS);
    const { published, acked, lost, seconds, p50Ms, p99Ms } = load;
    const achievedRate = seconds > 0 ? acked / seconds : 0;
    const setting = { targetRate: rate, durationSeconds, probesPerSecond: PROBES_PER_SECOND, window };
    return { ...setting, published, acked, lost, seconds, achievedRate, p50Ms, p99Ms, indexerBacklogSeconds, ...figures };
  } finally {
    poller.stop();
    await generator.close();
  }
}
