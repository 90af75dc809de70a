import { MAX_MQTT_PAYLOAD_BYTES, TELEMETRY_TOPIC } from '@citus/contracts';
import type { AccessDecider, IotAction } from './access.port.js';
import type { Requester } from './device-session.model.js';

/** AWS IoT's largest message payload: 128 KB (published in the AsyncAPI document too). */
export const MAX_PAYLOAD_BYTES = MAX_MQTT_PAYLOAD_BYTES;

/** The thing's own shadow and jobs topics, and its own application topics under `things/{thingName}/`. */
const ownReserved = (thingName: string, topic: string): boolean =>
  topic.startsWith(`$aws/things/${thingName}/shadow/`) ||
  topic.startsWith(`$aws/things/${thingName}/jobs/`) ||
  topic.startsWith(`things/${thingName}/`);

/**
 * The least-privilege device policy, as AWS IoT policy variables would express it with
 * `${iot:Connection.Thing.ThingName}`: a device may publish only to `telemetry/{its name}`,
 * `telemetry/{its name}/{stream}`, its own shadow and jobs topics and `things/{its name}/...`.
 */
export function mayPublish(thingName: string, topic: string): boolean {
  if (ownReserved(thingName, topic)) return true;
  const match = TELEMETRY_TOPIC.exec(topic);
  return match?.[1] === thingName;
}

/** A device may subscribe only to its own shadow, jobs and application topics. */
export function maySubscribe(thingName: string, topicFilter: string): boolean {
  return ownReserved(thingName, topicFilter);
}

/** The fleet-provisioning topics a claim certificate of `templateName` may use. */
export function isProvisioningTopic(templateName: string, topic: string): boolean {
  return (
    topic.startsWith('$aws/certificates/create/') ||
    topic.startsWith('$aws/certificates/create-from-csr/') ||
    topic.startsWith(`$aws/provisioning-templates/${templateName}/provision/`)
  );
}

/** The built-in rules, used until a workspace's policy documents decide. */
export const builtInAccess: AccessDecider = {
  allows(requester: Requester, action: IotAction, resource: string): boolean {
    const { thingName, claim } = requester;
    if (claim) return action === 'iot:Connect' || isProvisioningTopic(claim.templateName, resource);
    if (!thingName) return false;
    switch (action) {
      case 'iot:Connect':
        return resource === thingName;
      case 'iot:Publish':
        return mayPublish(thingName, resource);
      case 'iot:Subscribe':
      case 'iot:Receive':
        return maySubscribe(thingName, resource);
    }
  },
};
