import { createLogger } from '@citus/kit';
import { ThreadedTelemetryTable } from '../src/adapters/worker/threaded.telemetry-table.js';
import { fromWire, toWire } from '../src/adapters/worker/telemetry-writer.protocol.js';
import { aDeadLetter, aRecord, T0, telemetryStore, THING, WORKSPACE, type TelemetryStore } from './support/telemetry-fixture.js';

// The writer thread runs the built `dist/` (npm run build, which `npm test` runs first).
describe('ThreadedTelemetryTable (writes on the writer thread, a real SQLite file)', () => {
  let store: TelemetryStore;
  let table: ThreadedTelemetryTable;

  beforeEach(async () => {
    store = telemetryStore();
    table = new ThreadedTelemetryTable(store.file, store.repository, createLogger({ level: 'silent' }));
    await table.start();
  });
  afterEach(async () => {
    await table.stop();
    store.destroy();
  });

  it('answers once committed: what it wrote is in the file for another connection to read', async () => {
    const outcomes = await table.write([{ record: aRecord({ document: { value: 1 } }) }, { deadLetter: aDeadLetter() }]);
    expect(outcomes).toEqual([{ kind: 'stored', topic: `telemetry/${THING}`, epoch: T0 }, { kind: 'dead-lettered' }]);
    expect(store.rows()).toEqual([{ topic: `telemetry/${THING}`, epoch: T0, payload: '{"value":1}' }]);
    await expect(table.query(WORKSPACE, THING, { limit: 10, order: 'asc' })).resolves.toEqual([
      { topic: `telemetry/${THING}`, epoch: T0, payload: { value: 1 } },
    ]);
    await expect(table.countDeadLetters(WORKSPACE, THING)).resolves.toBe(1);
  });

  it('keeps the epoch rules across batches: a burst in one ms gets ms+1, ms+2 on the thread', async () => {
    const first = await table.write([{ record: aRecord({ document: { value: 1 } }) }]);
    const second = await table.write([{ record: aRecord({ document: { value: 2 } }) }, { record: aRecord({ document: { value: 3 } }) }]);
    expect([...first, ...second].map((outcome) => 'epoch' in outcome && outcome.epoch)).toEqual([T0, T0 + 1, T0 + 2]);
  });

  it('rejects a batch the thread could not commit, with the reason, and writes the next', async () => {
    store.db.exec('ALTER TABLE telemetry_changes RENAME TO telemetry_changes_gone');
    await expect(table.write([{ record: aRecord() }])).rejects.toThrow(/telemetry write failed: .*telemetry_changes/);
    expect(store.rows()).toEqual([]);
    store.db.exec('ALTER TABLE telemetry_changes_gone RENAME TO telemetry_changes');
    await expect(table.write([{ record: aRecord() }])).resolves.toEqual([{ kind: 'stored', topic: `telemetry/${THING}`, epoch: T0 }]);
  });

  it('refuses writes once stopped', async () => {
    await table.stop();
    await expect(table.write([{ record: aRecord() }])).rejects.toThrow(/closed/);
  });
});

describe('the writer thread wire format', () => {
  it('carries records and dead letters across in their order, the parsed document left behind', () => {
    const entries = [
      { deadLetter: aDeadLetter({ reason: 'first' }) },
      { record: aRecord({ document: { value: 1 }, deviceEpoch: T0 - 5 }) },
      { record: aRecord({ document: { value: 2 } }) },
      { deadLetter: aDeadLetter({ reason: 'fourth' }) },
      { record: aRecord({ document: { value: 3 } }) },
    ];
    const strip = (entry: (typeof entries)[number]) => {
      if ('deadLetter' in entry) return entry;
      const { document: _document, ...record } = entry.record;
      return { record };
    };
    expect(fromWire(toWire(entries))).toEqual(entries.map(strip));
  });
});
