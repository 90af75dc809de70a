import type { z } from 'zod';

/**
 * One MQTT topic of the device API, described well enough to generate its AsyncAPI channel.
 * `address` uses `{name}` for a topic level chosen by the device or the hub.
 */
export interface MqttTopicSpec {
  /** Unique; the AsyncAPI channel id. */
  id: string;
  address: string;
  /** `device-sends`: the device publishes, the hub receives; `hub-sends`: the hub publishes to the device. */
  direction: 'device-sends' | 'hub-sends';
  summary: string;
  description?: string;
  /** The payload's schema; none for an empty payload. */
  payload?: z.ZodType;
}
