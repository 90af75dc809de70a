import { MAX_MQTT_PAYLOAD_BYTES } from '@citus/contracts';

/**
 * AWS IoT's largest message payload: 128 KB (published in the AsyncAPI document too). What a
 * device may publish or subscribe to is its policies' decision: `policy/default-policies.ts`.
 */
export const MAX_PAYLOAD_BYTES = MAX_MQTT_PAYLOAD_BYTES;
