import type { TelemetryItem } from '@citus/contracts';
import { parseJsonObject } from '@citus/kit';
import type { StoredMessage } from './telemetry-points.rules.js';

/** Stored telemetry of one thing, as the hub's `telemetry.stored` event carries it. */
export interface StoredTelemetry {
  workspaceId: string;
  thingName: string;
  items: TelemetryItem[];
}

/**
 * A change feed batch in the shape of `telemetry.stored` events: one group per workspace and
 * thing, in the order each first appears, items in the feed's order. A payload that is not a JSON
 * object (never written by the hub, which validates before it stores) is left out.
 */
export function storedTelemetryOf(messages: readonly StoredMessage[]): StoredTelemetry[] {
  const groups = new Map<string, StoredTelemetry>();
  for (const { workspaceId, thingName, topic, epoch, payload } of messages) {
    const document = parseJsonObject(payload);
    if (!document) continue;
    const key = `${workspaceId}\u0000${thingName}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { workspaceId, thingName, items: [] }));
    group.items.push({ topic, epoch, payload: document });
  }
  return [...groups.values()];
}
