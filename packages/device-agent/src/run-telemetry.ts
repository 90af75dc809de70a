import { setTimeout as sleep } from 'node:timers/promises';
import { mqtt } from 'aws-iot-device-sdk-v2';
import { telemetryTopic } from '@citus/contracts';
import { createConnection, type ConnectOptions } from './connection.js';
import type { DeviceFiles } from './device-state.js';
import { ReadingSimulator, type Reading } from './readings.js';

export interface RunOptions extends ConnectOptions {
  /** Readings per second. */
  rate: number;
  /** Stop after this many readings; runs until `signal` aborts otherwise. */
  count?: number;
  /** Publish to `telemetry/{thing}/{stream}` instead of `telemetry/{thing}`. */
  stream?: string;
  signal?: AbortSignal;
  onPublished?: (reading: Reading, sent: number) => void;
}

/**
 * Connects with the SDK and publishes simulated readings at QoS 1, each awaited until its PUBACK
 * (so a count of sent readings is a count of stored ones), until `count` or the abort signal.
 */
export async function runTelemetry(files: DeviceFiles, options: RunOptions): Promise<number> {
  const connection = createConnection(files, options);
  const topic = telemetryTopic(files.state.thingName, options.stream);
  const simulator = new ReadingSimulator();
  const intervalMs = 1000 / options.rate;
  await connection.connect();
  let sent = 0;
  try {
    const started = Date.now();
    while (!options.signal?.aborted && (options.count === undefined || sent < options.count)) {
      const reading = simulator.next();
      await connection.publish(topic, JSON.stringify(reading), mqtt.QoS.AtLeastOnce);
      sent++;
      options.onPublished?.(reading, sent);
      const wait = started + sent * intervalMs - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    await connection.disconnect().catch(() => undefined);
  }
  return sent;
}
