import type { _Record as StreamRecord, AttributeValue } from '@aws-sdk/client-dynamodb-streams';
import type { ChangeRecord } from '../../domain/change-feed.port.js';

/**
 * The change record of a telemetry item's stream record, or undefined when there is none to index:
 * a REMOVE (expiry by TTL or a retention sweep: the index keeps its own retention), or an item that
 * is not a stored telemetry message (the table is the hub's; see its DynamoDB adapter for the item
 * shape). The image is read field by field instead of unmarshalled whole: only these five
 * attributes matter, and the payload stays the JSON text the hub stored.
 */
export function toChangeRecord(record: StreamRecord): ChangeRecord | undefined {
  if (record.eventName === 'REMOVE') return undefined;
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  const topic = text(image.topic);
  const epoch = number(image.epoch);
  const workspaceId = text(image.workspaceId);
  const thingName = text(image.thingName);
  const payload = text(image.payload);
  if (topic === undefined || epoch === undefined || workspaceId === undefined || thingName === undefined || payload === undefined) {
    return undefined;
  }
  return { topic, epoch, workspaceId, thingName, payload };
}

function text(value: AttributeValue | undefined): string | undefined {
  return value && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}

function number(value: AttributeValue | undefined): number | undefined {
  if (!value || !('N' in value) || typeof value.N !== 'string') return undefined;
  const parsed = Number(value.N);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}
