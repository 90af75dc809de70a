import type { ThingAttributes } from '@citus/contracts';

export type { ThingAttributes };

/**
 * Port: devices' metadata as declared in the device registry (its name, type, location and
 * coordinates), which dynamic thing groups query as `attributes.*`. The registry owns it: the
 * registry's own service in one process, its internal route when the hub runs apart from it.
 */
export interface DeviceAttributes {
  /** The attributes of the workspace's things among `thingNames`; a name of another workspace's thing, or of none, is left out. */
  attributesOf(workspaceId: string, thingNames: readonly string[]): Promise<ReadonlyMap<string, ThingAttributes>>;
}
