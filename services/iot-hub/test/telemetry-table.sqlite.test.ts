import { createLogger } from '@citus/kit';
import { SqliteTelemetryTable } from '../src/adapters/sqlite/telemetry.table.js';
import { ThreadedTelemetryTable } from '../src/adapters/worker/threaded.telemetry-table.js';
import type { TelemetryRepository } from '../src/domain/telemetry.model.js';
import { telemetryTableContract } from './support/telemetry-table.contract.js';
import { telemetryStore, type TelemetryStore } from './support/telemetry-fixture.js';

const deadLetterPayloads = (store: TelemetryStore) => async (workspaceId: string, thingName: string) =>
  store.db
    .prepare('SELECT payload FROM dead_letters WHERE workspace_id = ? AND thing_name = ? ORDER BY id')
    .pluck()
    .all(workspaceId, thingName) as Buffer[];

// The embedded adapters over a real SQLite file in a temp dir: writing on the caller's thread, and
// the one the platform runs, writing on its own thread (the built `dist/`, as `npm test` has it).
telemetryTableContract('SqliteTelemetryTable', async () => {
  const store = telemetryStore();
  return {
    table: new SqliteTelemetryTable(store.repository),
    reopen: () => new SqliteTelemetryTable(store.reopen()),
    deadLetterPayloads: deadLetterPayloads(store),
    destroy: async () => store.destroy(),
  };
});

telemetryTableContract('ThreadedTelemetryTable', async () => {
  const store = telemetryStore();
  const logger = createLogger({ level: 'silent' });
  const opened: ThreadedTelemetryTable[] = [];
  const open = (reader: TelemetryRepository) => {
    const table = new ThreadedTelemetryTable(store.file, reader, logger);
    opened.push(table);
    return table;
  };
  return {
    table: open(store.repository),
    reopen: () => open(store.reopen()),
    deadLetterPayloads: deadLetterPayloads(store),
    destroy: async () => {
      await Promise.all(opened.map((table) => table.stop()));
      store.destroy();
    },
  };
});
