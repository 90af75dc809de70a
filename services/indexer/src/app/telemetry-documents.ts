import { parseJsonObject } from '@citus/kit';
import type { ChangeRecord } from '../domain/change-feed.port.js';
import type { TelemetryDocument } from '../domain/search-index.port.js';

/** Bounds what one message adds to the index: a payload may be up to 128 KiB of strings. */
export const MAX_TEXT_CHARS = 4096;
const MAX_FIELD_CHARS = 256;
/** Payloads are JSON from devices; a pathological nesting must not exhaust the stack. */
const MAX_DEPTH = 32;
/** Timestamps are strings in some payloads; as words they would only add noise to every search. */
const TIMESTAMP_FIELDS = new Set(['@timestamp', 'timestamp']);

/**
 * The search document of one stored message. `label`, `unit` and `value` are the original
 * firmware's fields (`{"value": 412.5, "unit": "PPM", "label": "Leakage"}`), taken only when they
 * have the expected type; `text` is every string value of the payload, nested ones included, in
 * document order, cut at `MAX_TEXT_CHARS`. A payload that is not a JSON object still yields a
 * document (with empty text), so the index holds every record once.
 */
export function toDocument(record: ChangeRecord): TelemetryDocument {
  const payload = parseJsonObject(record.payload);
  const document: TelemetryDocument = {
    id: `${record.topic}#${record.epoch}`,
    workspaceId: record.workspaceId,
    thingName: record.thingName,
    topic: record.topic,
    epoch: record.epoch,
    text: payload === undefined ? '' : textOf(payload),
  };
  if (typeof payload?.label === 'string') document.label = bounded(payload.label, MAX_FIELD_CHARS);
  if (typeof payload?.unit === 'string') document.unit = bounded(payload.unit, MAX_FIELD_CHARS);
  if (typeof payload?.value === 'number' && Number.isFinite(payload.value)) document.value = payload.value;
  return document;
}

/** The documents of a batch of change records, one per record, in order. */
export function toDocuments(records: readonly ChangeRecord[]): TelemetryDocument[] {
  return records.map(toDocument);
}


function textOf(payload: Record<string, unknown>): string {
  const parts: string[] = [];
  let length = 0;
  const visit = (value: unknown, depth: number): void => {
    if (length >= MAX_TEXT_CHARS || depth > MAX_DEPTH) return;
    if (typeof value === 'string') {
      if (value.trim() === '') return;
      parts.push(value);
      length += value.length + 1;
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
    } else if (typeof value === 'object' && value !== null) {
      for (const item of Object.values(value)) visit(item, depth + 1);
    }
  };
  for (const [key, value] of Object.entries(payload)) {
    if (!TIMESTAMP_FIELDS.has(key)) visit(value, 1);
  }
  return bounded(parts.join(' '), MAX_TEXT_CHARS);
}

/** Cuts at a code point boundary, so a cut never leaves half a surrogate pair. */
function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const lastCode = cut.charCodeAt(cut.length - 1);
  return lastCode >= 0xd800 && lastCode <= 0xdbff ? cut.slice(0, -1) : cut;
}
