import type { JsonObject, ShadowContent, ShadowSections } from './shadow.model.js';

// The update rules of AWS IoT Device Shadow (developer guide, "Device Shadow service documents"):
// only the fields sent change, `null` deletes a field (`desired: null` the section), objects merge
// key by key, arrays and other values are replaced whole, and `metadata` mirrors the state tree
// with the epoch-second timestamp of each leaf's last update.

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isEmpty = (value: JsonObject): boolean => Object.keys(value).length === 0;

/** The metadata of a value written at `timestamp`: objects and arrays mirrored, leaves `{timestamp}`. */
export function metadataOf(value: unknown, timestamp: number): unknown {
  if (Array.isArray(value)) return value.map((item) => metadataOf(item, timestamp));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, metadataOf(item, timestamp)]));
  return { timestamp };
}

interface Merged {
  value: JsonObject;
  metadata: JsonObject;
}

/**
 * `patch` merged into `current` as a new object (unchanged subtrees are shared, never mutated).
 * An object emptied by the patch's `null`s goes away with its last key.
 */
function mergeObject(current: JsonObject | undefined, metadata: JsonObject | undefined, patch: JsonObject, timestamp: number): Merged {
  const value: JsonObject = { ...current };
  const meta: JsonObject = { ...metadata };
  for (const [key, next] of Object.entries(patch)) {
    if (next === null) {
      delete value[key];
      delete meta[key];
    } else if (isObject(next)) {
      const inner = value[key];
      const innerMeta = meta[key];
      const merged = mergeObject(isObject(inner) ? inner : undefined, isObject(innerMeta) ? innerMeta : undefined, next, timestamp);
      if (isEmpty(merged.value) && !isEmpty(next)) {
        delete value[key];
        delete meta[key];
      } else {
        value[key] = merged.value;
        meta[key] = merged.metadata;
      }
    } else {
      value[key] = next;
      meta[key] = metadataOf(next, timestamp);
    }
  }
  return { value, metadata: meta };
}

export interface StatePatch {
  desired?: JsonObject | null;
  reported?: JsonObject | null;
}

const SECTIONS = ['desired', 'reported'] as const;

/** The content after an update; a section left empty is dropped, as is one set to `null`. */
export function applyPatch(current: ShadowContent | undefined, patch: StatePatch, timestamp: number): ShadowContent {
  const state: ShadowSections = { ...current?.state };
  const metadata: ShadowSections = { ...current?.metadata };
  for (const section of SECTIONS) {
    const sent = patch[section];
    if (sent === undefined) continue;
    const merged = sent === null ? undefined : mergeObject(state[section], metadata[section], sent, timestamp);
    if (!merged || isEmpty(merged.value)) {
      delete state[section];
      delete metadata[section];
    } else {
      state[section] = merged.value;
      metadata[section] = merged.metadata;
    }
  }
  return { state, metadata };
}

/** JSON equality: same type, arrays item by item, objects key by key in any order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]));
}

/**
 * The delta: every desired field whose reported value differs (objects compared key by key,
 * arrays whole). Reported fields that desired does not name are not part of it.
 */
export function deltaOf(desired: JsonObject | undefined, reported: JsonObject | undefined): JsonObject {
  const delta: JsonObject = {};
  for (const [key, want] of Object.entries(desired ?? {})) {
    const have = reported?.[key];
    if (isObject(want) && isObject(have)) {
      const inner = deltaOf(want, have);
      if (!isEmpty(inner)) delta[key] = inner;
    } else if (!jsonEqual(want, have)) {
      delta[key] = want;
    }
  }
  return delta;
}

/** The desired metadata of the delta's fields, in the delta's shape. */
export function deltaMetadataOf(delta: JsonObject, metadata: JsonObject | undefined): JsonObject {
  const picked: JsonObject = {};
  for (const [key, value] of Object.entries(delta)) {
    const meta = metadata?.[key];
    picked[key] = isObject(value) && isObject(meta) ? deltaMetadataOf(value, meta) : meta;
  }
  return picked;
}

/** The delta of a content, with its metadata; `undefined` when desired and reported agree. */
export function deltaOfContent(content: ShadowContent | undefined): { state: JsonObject; metadata: JsonObject } | undefined {
  const state = deltaOf(content?.state.desired, content?.state.reported);
  if (isEmpty(state)) return undefined;
  return { state, metadata: deltaMetadataOf(state, content?.metadata.desired) };
}
