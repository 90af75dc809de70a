import type { AccessDecider, IotAction } from './access.port.js';
import type { Requester, ThingDirectory } from './device-session.model.js';
import { isWildcardLevel, thingOfTopic } from './topic-thing.js';

/**
 * The hub's access decisions: people answer to their workspace's rules, devices and claim
 * certificates to their policy documents — within their workspace. A policy is written by a
 * workspace admin, but topic names are global, so a policy granting `things/*` must still not
 * reach another workspace's things: any topic naming a thing of another workspace is refused
 * whatever the policy says, and so is a client id that is another workspace's thing name.
 * Filters over many things (`things/+/status`) stay possible; `iot:Receive` then checks each message.
 */
export function hubAccess(things: ThingDirectory, people: AccessDecider, devices: AccessDecider): AccessDecider {
  const inWorkspace = (who: Requester, thingName: string): boolean =>
    thingName === who.thingName || things.workspaceOfThing(thingName) === who.workspaceId;
  return {
    allows(who: Requester, action: IotAction, resource: string): boolean {
      if (who.user) return people.allows(who, action, resource);
      if (!devices.allows(who, action, resource)) return false;
      if (action === 'iot:Connect') {
        const owner = things.workspaceOfThing(resource);
        return owner === undefined || owner === who.workspaceId;
      }
      const target = thingOfTopic(resource);
      if (!target || (action === 'iot:Subscribe' && isWildcardLevel(target.thingName))) return true;
      return inWorkspace(who, target.thingName);
    },
  };
}
