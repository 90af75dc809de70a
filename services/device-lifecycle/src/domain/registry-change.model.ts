import type { ActiveCertificateEntry, ThingEntry } from './device.model.js';

/**
 * A change of the registry as a directory following it learns it, each read from the changed
 * item's new image (the old one for a removal), so applying one twice, or one the directory's
 * own load already holds, changes nothing.
 */
export type RegistryChange =
  /** A device or its thing-name marker written: the thing belongs to the workspace. */
  | { kind: 'thing-added'; thing: ThingEntry }
  /** The device deleted (named by its old image). */
  | { kind: 'thing-removed'; thing: ThingEntry }
  | { kind: 'certificate-active'; certificate: ActiveCertificateEntry }
  /** A certificate no longer active; `revokedNow` when this change is the one that revoked it. */
  | { kind: 'certificate-inactive'; certificateId: string; thingName: string; revokedNow: boolean };

/** A running subscription to the registry's changes. */
export interface RegistryChangeSubscription {
  /** Resolves once no change made from now on can be missed (the stream's iterators are open). */
  ready(): Promise<void>;
  stop(): Promise<void>;
  /** Milliseconds the changes seen trail the registry; 0 when caught up. */
  lagMs(): number;
}

/**
 * Port: every change of the registry from the moment of `start` on, at least once, in order per
 * device (a device's items share a partition of the DynamoDB table, hence a stream shard).
 * `handle` is not called again for a partition before its last call resolved.
 */
export interface RegistryChangeFeed {
  start(handle: (changes: RegistryChange[]) => Promise<void>): RegistryChangeSubscription;
}
