import type { DeviceDocument } from './search-index.port.js';

/**
 * A device change the registry's feed carries: what the `device.changed` and `thing.deleted`
 * events say when the indexer runs beside the registry. May come more than once (at-least-once
 * delivery): upserting a device and removing a thing are idempotent, so a repeat is harmless.
 */
export type DeviceChange =
  | { kind: 'changed'; device: DeviceDocument }
  | { kind: 'deleted'; workspaceId: string; thingName: string };
