import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { SqliteTelemetryRepository, TELEMETRY_MIGRATIONS } from '../../src/adapters/sqlite/telemetry.repository.js';
import { SqliteTelemetryTable } from '../../src/adapters/sqlite/telemetry.table.js';
import type { DeadLetter, TelemetryRecord } from '../../src/domain/telemetry.model.js';

export const WORKSPACE = 'ws_home';
export const THING = 'kitchen-1';
export const T0 = Date.UTC(2025, 0, 1, 12);

/** Object mother for a telemetry record as the ingest path builds it. */
export function aRecord(overrides: Partial<Omit<TelemetryRecord, 'payload'>> & { document?: Record<string, unknown> } = {}): TelemetryRecord {
  const document = overrides.document ?? { value: 1.5, unit: 'PPM' };
  return {
    topic: `telemetry/${overrides.thingName ?? THING}`,
    thingName: THING,
    workspaceId: WORKSPACE,
    deviceEpoch: undefined,
    receivedAt: T0,
    ...overrides,
    document,
    payload: JSON.stringify(document),
  };
}

export function aDeadLetter(overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    topic: `telemetry/${THING}`,
    thingName: THING,
    workspaceId: WORKSPACE,
    reason: 'payload is not valid JSON',
    payload: Buffer.from('{oops'),
    receivedAt: T0,
    ...overrides,
  };
}

export interface TelemetryStore {
  db: SqliteDatabase;
  /** The SQLite file, for a writer on another connection (the writer thread). */
  file: string;
  repository: SqliteTelemetryRepository;
  /** The same repository behind the async port, as the ingest path and the routes use it. */
  table: SqliteTelemetryTable;
  /** A second repository over the same file, as after a restart. */
  reopen(): SqliteTelemetryRepository;
  rows(): Array<{ topic: string; epoch: number; payload: string }>;
  destroy(): void;
}

/** The telemetry repository over a real SQLite file in a temp dir. */
export function telemetryStore(): TelemetryStore {
  const dir = mkdtempSync(join(tmpdir(), 'citus-telemetry-'));
  const file = join(dir, 'telemetry.db');
  const open = () => openDatabase(file, { module: 'iot-hub', migrations: TELEMETRY_MIGRATIONS });
  const handles = [open()];
  const db = handles[0] as SqliteDatabase;
  const repository = new SqliteTelemetryRepository(db);
  return {
    db,
    file,
    repository,
    table: new SqliteTelemetryTable(repository),
    reopen() {
      const again = open();
      handles.push(again);
      return new SqliteTelemetryRepository(again);
    },
    rows: () => db.prepare('SELECT topic, epoch, payload FROM telemetry ORDER BY topic, epoch').all() as Array<{ topic: string; epoch: number; payload: string }>,
    destroy() {
      for (const handle of handles) if (handle.open) handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
