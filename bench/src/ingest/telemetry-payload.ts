/** The last device timestamp a device used, so its timestamps stay unique as a real device's clock would. */
export interface TimestampState {
  lastEpoch: number;
}

const DEFAULT_LABEL = 'bench sensor';

/**
 * A message in the original firmware's shape. Without `@timestamp` the hub uses the receive time;
 * with it, each device's timestamps strictly increase, since the same timestamp twice would mark
 * a resend. A probe message gets its own `label`, which both the series read and search return.
 */
export function telemetryPayload(device: TimestampState, withTimestamp: boolean, label = DEFAULT_LABEL): string {
  const temperature = 18 + Math.random() * 8;
  const message: Record<string, unknown> = {
    value: Math.round(temperature * 100) / 100,
    unit: 'C',
    label,
    temperature,
    humidity: 40 + Math.random() * 20,
  };
  if (withTimestamp) {
    device.lastEpoch = Math.max(Date.now(), device.lastEpoch + 1);
    message['@timestamp'] = device.lastEpoch;
  }
  return JSON.stringify(message);
}
