import { MAX_MQTT_PAYLOAD_BYTES, TELEMETRY_TOPIC } from '@citus/contracts';

/** AWS IoT's largest message payload: 128 KB (published in the AsyncAPI document too). */
export const MAX_PAYLOAD_BYTES = MAX_MQTT_PAYLOAD_BYTES;

/**
 * The least-privilege device policy, as AWS IoT policy variables would express it with
 * `${iot:Connection.Thing.ThingName}`: a device may publish only to `telemetry/{its name}` and
 * `telemetry/{its name}/{stream}`.
 */
export function mayPublish(thingName: string, topic: string): boolean {
  const match = TELEMETRY_TOPIC.exec(topic);
  return match?.[1] === thingName;
}

/** No topic is open to device subscriptions yet: shadows and jobs will add their own. */
export function maySubscribe(_thingName: string, _topicFilter: string): boolean {
  return false;
}
