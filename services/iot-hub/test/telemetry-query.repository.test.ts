import { SqliteTelemetryQueryRepository } from '../src/adapters/sqlite/telemetry-query.repository.js';
import { telemetryQueriesContract } from './support/telemetry-queries.contract.js';
import { telemetryStore } from './support/telemetry-fixture.js';

// The embedded adapter over a real SQLite file in a temp dir.
telemetryQueriesContract('SqliteTelemetryQueryRepository', async () => {
  const store = telemetryStore();
  return {
    queries: new SqliteTelemetryQueryRepository(store.db),
    table: store.table,
    destroy: async () => store.destroy(),
  };
});
