import { SqliteTelemetryTable } from '../src/adapters/sqlite/telemetry.table.js';
import { telemetryTableContract } from './support/telemetry-table.contract.js';
import { telemetryStore } from './support/telemetry-fixture.js';

// The embedded adapter over a real SQLite file in a temp dir.
telemetryTableContract('SqliteTelemetryTable', async () => {
  const store = telemetryStore();
  return {
    table: new SqliteTelemetryTable(store.repository),
    reopen: () => new SqliteTelemetryTable(store.reopen()),
    deadLetterPayloads: async (workspaceId, thingName) =>
      store.db
        .prepare('SELECT payload FROM dead_letters WHERE workspace_id = ? AND thing_name = ? ORDER BY id')
        .pluck()
        .all(workspaceId, thingName) as Buffer[],
    destroy: async () => store.destroy(),
  };
});
