import { MAX_FIELD_PATH, TELEMETRY_TOPIC } from '@citus/contracts';
import { parseJsonObject } from '@citus/kit';
import type { SeriesPoint } from './series.model.js';

/** A stored telemetry message as the change feed hands it over. */
export interface StoredMessage {
  topic: string;
  epoch: number;
  workspaceId: string;
  thingName: string;
  /** JSON text. */
  payload: string;
}

/** Bounds the series one message can touch: a 128 KiB payload could otherwise name thousands. */
export const MAX_POINTS_PER_MESSAGE = 64;
/** The payload schema's own depth limit; deeper values are not looked at. */
const MAX_DEPTH = 32;
/** Times, not measurements: as series they would only ever grow. */
const TIMESTAMP_FIELDS = new Set(['timestamp', '@timestamp']);

/**
 * The points of one stored message: every finite number of its JSON payload (nested keys joined
 * with `.`, array items by index), in document order, up to `MAX_POINTS_PER_MESSAGE`. A topic
 * that is not a telemetry topic, or a payload that is not a JSON object, yields none: bad input
 * is skipped, never a reason to stop the consumer.
 */
export function pointsOf(message: StoredMessage): SeriesPoint[] {
  const topic = TELEMETRY_TOPIC.exec(message.topic);
  const payload = topic ? parseJsonObject(message.payload) : undefined;
  if (!payload) return [];
  const base = { workspaceId: message.workspaceId, thingName: message.thingName, stream: topic?.[2] ?? '' };
  const points: SeriesPoint[] = [];
  const visit = (value: unknown, path: string, depth: number): void => {
    if (points.length >= MAX_POINTS_PER_MESSAGE || depth > MAX_DEPTH || path.length > MAX_FIELD_PATH) return;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) points.push({ series: { ...base, field: path }, epoch: message.epoch, value });
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) visit(child, `${path}.${key}`, depth + 1);
    }
  };
  for (const [key, value] of Object.entries(payload)) {
    if (!TIMESTAMP_FIELDS.has(key) && key !== '') visit(value, key, 1);
  }
  return points;
}
