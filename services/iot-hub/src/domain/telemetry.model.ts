import type { DeadLetter as DeadLetterView } from '@citus/contracts';
import type { TelemetryPayload } from '@citus/contracts';

export interface TelemetryRecord {
  topic: string;
  thingName: string;
  workspaceId: string;
  /** The payload as received, JSON text. */
  payload: string;
  /** The same payload, parsed. */
  document: Record<string, unknown>;
  /** The device's own timestamp when it gave a sane one: it identifies the message. */
  deviceEpoch: number | undefined;
  receivedAt: number;
}

export interface DeadLetter {
  topic: string;
  thingName: string;
  workspaceId: string;
  reason: string;
  payload: Buffer;
  receivedAt: number;
}

/** What a store needs of an entry: the parsed `document` stays with the ingest path. */
export type StorableEntry = { record: Omit<TelemetryRecord, 'document'> } | { deadLetter: DeadLetter };

export type WriteOutcome = { kind: 'stored'; topic: string; epoch: number } | { kind: 'duplicate'; topic: string; epoch: number } | { kind: 'dead-lettered' };

export interface StoredItem {
  topic: string;
  epoch: number;
  payload: Record<string, unknown>;
}

export interface TelemetryRange {
  from?: number;
  to?: number;
  limit: number;
  order: 'asc' | 'desc';
  after?: { epoch: number; topic: string };
}

/** Port: the telemetry table (partition key `topic`, sort key `epoch`) and its dead letters. */
export interface TelemetryRepository {
  /** Writes telemetry and dead letters in one durable transaction, in order. */
  write(entries: StorableEntry[]): WriteOutcome[];
  /** A thing's messages (all its streams) in a time range, scoped to the workspace. */
  query(workspaceId: string, thingName: string, range: TelemetryRange): StoredItem[];
  countDeadLetters(workspaceId: string, thingName: string): number;
  recentDeadLetters(workspaceId: string, thingName: string, limit: number): DeadLetterView[];
}

const EARLIEST = Date.UTC(2000, 0, 1);
const MAX_CLOCK_SKEW_MS = 24 * 3_600_000;
/** ISO 8601 with a zone (`Z` or an offset): `Date.parse` alone reads "12" or "sensor 7" as dates, in local time. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * The device's timestamp, in epoch milliseconds, when it is sane: `@timestamp` (the original
 * firmware's field) or `timestamp`, a number of ms or an ISO 8601 date, after 2000-01-01 and no
 * more than a day ahead of the hub's clock. Anything else is ignored and the receive time is used.
 */
export function deviceTimestamp(payload: TelemetryPayload, now: number): number | undefined {
  const raw = payload['@timestamp'] ?? payload.timestamp;
  const epoch = typeof raw === 'number' ? raw : typeof raw === 'string' && ISO_WITH_ZONE.test(raw) ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(epoch)) return undefined;
  const rounded = Math.trunc(epoch);
  return rounded >= EARLIEST && rounded <= now + MAX_CLOCK_SKEW_MS ? rounded : undefined;
}
