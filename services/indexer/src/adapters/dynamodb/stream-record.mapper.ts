import type { _Record as StreamRecord, AttributeValue } from '@aws-sdk/client-dynamodb-streams';
import { TelemetryPayload } from '@citus/contracts';
import { storedPayloadText, workspaceOfThingKey } from '@citus/dynamodb';
import type { ChangeRecord } from '../../domain/change-feed.port.js';

/**
 * The change record of a telemetry item's stream record, or undefined when there is none to index:
 * a REMOVE (expiry by TTL or a retention sweep: the index keeps its own retention), or an item that
 * is not a stored telemetry message (the table is the hub's; see its DynamoDB adapter for the item
 * shape). The image is read field by field instead of unmarshalled whole: only these
 * attributes matter, and the payload stays the JSON text the hub stored. Items the AWS IoT rule
 * wrote carry their workspace only in `thingKey` and their payload base64-encoded and unchecked:
 * one that fails the hub's ingest check is not indexed, as the hub's reads leave it out.
 */
export function toChangeRecord(record: StreamRecord): ChangeRecord | undefined {
  if (record.eventName === 'REMOVE') return undefined;
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  const topic = text(image.topic);
  const epoch = number(image.epoch);
  const thingKey = text(image.thingKey);
  const workspaceId = text(image.workspaceId) ?? (thingKey === undefined ? undefined : workspaceOfThingKey(thingKey));
  const thingName = text(image.thingName);
  const stored = text(image.payload);
  if (topic === undefined || epoch === undefined || workspaceId === undefined || thingName === undefined || stored === undefined) {
    return undefined;
  }
  const payload = storedPayloadText(stored);
  if (!payload.checked && !passesIngestCheck(payload.text)) return undefined;
  return { topic, epoch, workspaceId, thingName, payload: payload.text };
}

function passesIngestCheck(text: string): boolean {
  try {
    return TelemetryPayload.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}

function text(value: AttributeValue | undefined): string | undefined {
  return value && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}

function number(value: AttributeValue | undefined): number | undefined {
  if (!value || !('N' in value) || typeof value.N !== 'string') return undefined;
  const parsed = Number(value.N);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}
