import { MAX_MQTT_PAYLOAD_BYTES, TELEMETRY_TOPIC } from '@citus/contracts';

/** AWS IoT's largest message payload: 128 KB (published in the AsyncAPI document too). */
export const MAX_PAYLOAD_BYTES = MAX_MQTT_PAYLOAD_BYTES;

/** The reserved topics of a thing's own shadows and jobs. */
const ownReserved = (thingName: string, topic: string): boolean =>
  topic.startsWith(`$aws/things/${thingName}/shadow/`) || topic.startsWith(`$aws/things/${thingName}/jobs/`);

/**
 * The least-privilege device policy, as AWS IoT policy variables would express it with
 * `${iot:Connection.Thing.ThingName}`: a device may publish only to `telemetry/{its name}`,
 * `telemetry/{its name}/{stream}` and its own shadow and jobs topics.
 */
export function mayPublish(thingName: string, topic: string): boolean {
  if (ownReserved(thingName, topic)) return true;
  const match = TELEMETRY_TOPIC.exec(topic);
  return match?.[1] === thingName;
}

/** A device may subscribe only to its own shadow and jobs topics. */
export function maySubscribe(thingName: string, topicFilter: string): boolean {
  return ownReserved(thingName, topicFilter);
}
