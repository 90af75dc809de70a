import type { AccessDecider, IotAction } from './access.port.js';
import type { Requester, ThingDirectory } from './device-session.model.js';
import { isWildcardLevel, thingOfTopic, type TopicFamily } from './topic-thing.js';

const PUBLISHABLE: ReadonlySet<TopicFamily> = new Set(['shadow', 'app']);

/**
 * What a signed-in person may do on MQTT over WebSocket: watch every thing of their workspace
 * (shadows, jobs notifications, application topics, live telemetry, presence) and talk to it
 * (shadow requests, application topics). Telemetry stays the device's own word, and jobs are
 * driven through the REST control plane, so neither is publishable. A filter must name the thing:
 * `things/+/status` would reach across workspaces, so wildcards are refused there.
 */
export function workspaceUserAccess(things: ThingDirectory): AccessDecider {
  return {
    allows(requester: Requester, action: IotAction, resource: string): boolean {
      if (!requester.user) return false;
      if (action === 'iot:Connect') return things.workspaceOfThing(resource) === undefined;
      const target = thingOfTopic(resource);
      if (!target || isWildcardLevel(target.thingName)) return false;
      if (things.workspaceOfThing(target.thingName) !== requester.workspaceId) return false;
      return action !== 'iot:Publish' || PUBLISHABLE.has(target.family);
    },
  };
}
