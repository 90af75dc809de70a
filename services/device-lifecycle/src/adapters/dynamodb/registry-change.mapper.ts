import type { StreamAttributeValue, StreamRecord } from '@citus/dynamodb';
import type { RegistryChange } from '../../domain/registry-change.model.js';
import type { ItemKind } from './registry.items.js';

type Image = Record<string, StreamAttributeValue>;

const THING_NAME_PREFIX = 'THING#';

/**
 * The directory's change of a registry table stream record (NEW_AND_OLD_IMAGES), or undefined for
 * items it does not hold (activations, certificate-id markers). How the repository writes them
 * (`device.repository.ts`): declaring or provisioning puts the device and its thing-name marker;
 * activating puts an ACTIVE certificate and revokes the earlier ones (status REVOKED); revoking
 * sets REVOKED; deleting removes the device and its marker and revokes its certificates, which
 * stay. A certificate's status decides, not the event: any image not ACTIVE takes it out.
 * A device and its certificates share a partition, hence a shard, so their records come in the
 * order they were written; the marker's may come apart from them.
 */
export function toRegistryChange(record: StreamRecord): RegistryChange | undefined {
  const { NewImage, OldImage } = record.dynamodb ?? {};
  const removed = record.eventName === 'REMOVE';
  const image = removed ? OldImage : NewImage;
  if (!image) return undefined;
  switch (text(image.kind) as ItemKind | undefined) {
    case 'device':
    case 'thing-name':
      return thingChange(image, removed);
    case 'certificate':
      return certificateChange(image, removed, OldImage);
    default:
      return undefined;
  }
}

function thingChange(image: Image, removed: boolean): RegistryChange | undefined {
  const device = text(image.kind) === 'device';
  // The marker carries the thing name only in its key.
  const thingName = device ? text(image.thingName) : text(image.pk)?.slice(THING_NAME_PREFIX.length);
  const workspaceId = text(image.workspaceId);
  if (!thingName || workspaceId === undefined) return undefined;
  const thing = { thingName, workspaceId };
  if (!removed) return { kind: 'thing-added', thing };
  // The marker goes in the same transaction as the device: the device's removal alone stands for both.
  return device ? { kind: 'thing-removed', thing } : undefined;
}

function certificateChange(image: Image, removed: boolean, before: Image | undefined): RegistryChange | undefined {
  const id = text(image.id);
  const thingName = text(image.thingName);
  const workspaceId = text(image.workspaceId);
  const notAfter = text(image.notAfter);
  if (id === undefined || thingName === undefined) return undefined;
  const status = text(image.status);
  if (!removed && status === 'ACTIVE' && workspaceId !== undefined && notAfter !== undefined) {
    return { kind: 'certificate-active', certificate: { id, thingName, workspaceId, notAfter } };
  }
  const revokedNow = !removed && status === 'REVOKED' && before !== undefined && text(before.status) === 'ACTIVE';
  return { kind: 'certificate-inactive', certificateId: id, thingName, revokedNow };
}

function text(value: StreamAttributeValue | undefined): string | undefined {
  return value && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}
