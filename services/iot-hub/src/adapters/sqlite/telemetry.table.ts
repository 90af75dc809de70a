import type { TelemetryEntry, TelemetryTable } from '../../domain/telemetry-table.port.js';
import type { TelemetryRange, TelemetryRepository } from '../../domain/telemetry.model.js';

/**
 * The embedded telemetry table: the synchronous SQLite repository the ingest path uses today,
 * behind the async port. One SQLite transaction is already durable when it returns, so each call
 * resolves with what the repository answered (and rejects with what it threw).
 */
export class SqliteTelemetryTable implements TelemetryTable {
  constructor(private readonly repository: TelemetryRepository) {}

  async write(entries: TelemetryEntry[]) {
    return this.repository.write(entries);
  }

  async query(workspaceId: string, thingName: string, range: TelemetryRange) {
    return this.repository.query(workspaceId, thingName, range);
  }

  async countDeadLetters(workspaceId: string, thingName: string) {
    return this.repository.countDeadLetters(workspaceId, thingName);
  }

  async recentDeadLetters(workspaceId: string, thingName: string, limit: number) {
    return this.repository.recentDeadLetters(workspaceId, thingName, limit);
  }
}
