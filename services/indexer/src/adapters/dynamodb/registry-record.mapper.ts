import type { _Record as StreamRecord, AttributeValue } from '@aws-sdk/client-dynamodb-streams';
import type { DeviceChange } from '../../domain/device-change.model.js';
import type { DeviceDocument } from '../../domain/search-index.port.js';

type Image = Record<string, AttributeValue>;

/**
 * The device change of a registry table stream record, or undefined when the index has nothing to
 * learn from it. Only device items count (`kind: 'device'`; the layout is in `REGISTRY_TABLES` of
 * `@citus/dynamodb`): activations, certificates and name markers share the table. The registry
 * deletes a device by deleting its item, so a REMOVE is the `thing.deleted` of the events, named
 * by the old image (the stream is NEW_AND_OLD_IMAGES for this). An INSERT or MODIFY is a
 * `device.changed`, except a MODIFY that leaves every indexed field as it was (an activation, a
 * revocation): the events do not announce those either.
 */
export function toDeviceChange(record: StreamRecord): DeviceChange | undefined {
  const { NewImage, OldImage } = record.dynamodb ?? {};
  if (record.eventName === 'REMOVE') {
    const removed = OldImage && deviceOf(OldImage);
    return removed && { kind: 'deleted', workspaceId: removed.workspaceId, thingName: removed.thingName };
  }
  const device = NewImage && deviceOf(NewImage);
  if (!device) return undefined;
  const before = record.eventName === 'MODIFY' && OldImage ? deviceOf(OldImage) : undefined;
  return before && sameDocument(before, device) ? undefined : { kind: 'changed', device };
}

/** The search document of a device item; undefined for any other item, or one missing a field. */
function deviceOf(image: Image): DeviceDocument | undefined {
  if (text(image.kind) !== 'device') return undefined;
  const workspaceId = text(image.workspaceId);
  const thingName = text(image.thingName);
  const name = text(image.name);
  if (workspaceId === undefined || thingName === undefined || name === undefined) return undefined;
  // The registry stores an unset type or location as null (a NULL attribute): the document leaves it out.
  const type = text(image.type);
  const location = text(image.location);
  return { workspaceId, thingName, name, ...(type === undefined ? {} : { type }), ...(location === undefined ? {} : { location }) };
}

const sameDocument = (a: DeviceDocument, b: DeviceDocument): boolean =>
  a.workspaceId === b.workspaceId && a.thingName === b.thingName && a.name === b.name && a.type === b.type && a.location === b.location;

function text(value: AttributeValue | undefined): string | undefined {
  return value && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}
