import type { DeadLetter as DeadLetterView } from '@citus/contracts';
import type { DeadLetter, StoredItem, TelemetryRange, TelemetryRecord, WriteOutcome } from './telemetry.model.js';

export type TelemetryEntry = { record: TelemetryRecord } | { deadLetter: DeadLetter };

/**
 * Port: the telemetry table (partition key `topic`, sort key `epoch` in ms, as in the original
 * system) and its dead letters, asynchronous because the scale-out store (DynamoDB) is remote.
 * Every adapter keeps the same rules, checked by one contract suite
 * (`test/support/telemetry-table.contract.ts`):
 * - a device timestamp identifies its message: a resend (same topic, timestamp and payload) is a
 *   `duplicate`, also when the first copy was displaced to another epoch and after a restart;
 * - without one, the receive time is used, moved on by 1 ms until free, so nothing is overwritten;
 * - queries see only the given workspace's data.
 *
 * The ingest path and the telemetry routes use this port. The embedded adapter writes on a thread
 * of its own (`ThreadedTelemetryTable`). Aggregates and latest values have their own port,
 * `TelemetryQueries`, with an adapter per store.
 */
export interface TelemetryTable {
  /**
   * Stores records and dead letters durably and answers one outcome per entry, in order; resolves
   * only once every entry is durable, and rejects if any write failed (the caller acknowledges none).
   */
  write(entries: TelemetryEntry[]): Promise<WriteOutcome[]>;
  /** A thing's messages on all its topics, in (epoch, topic) order, scoped to the workspace. */
  query(workspaceId: string, thingName: string, range: TelemetryRange): Promise<StoredItem[]>;
  countDeadLetters(workspaceId: string, thingName: string): Promise<number>;
  /** The thing's latest dead letters, newest first. */
  recentDeadLetters(workspaceId: string, thingName: string, limit: number): Promise<DeadLetterView[]>;
}
