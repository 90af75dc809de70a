import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { SqliteCheckpointStore } from '../src/adapters/sqlite/checkpoint.store.js';
import { FtsSearchIndex } from '../src/adapters/sqlite/fts.search-index.js';
import { SqliteChangeFeed } from '../src/adapters/sqlite/sqlite.change-feed.js';
import { IndexerService } from '../src/app/indexer.service.js';
import type { SearchIndex, TelemetryDocument } from '../src/domain/search-index.port.js';
// The hub's real writer, so the indexer reads exactly what ingest commits (test-only cross-service import).
import { SqliteTelemetryRepository, TELEMETRY_MIGRATIONS } from '../../iot-hub/src/adapters/sqlite/telemetry.repository.js';

const logger = createLogger({ level: 'silent' });
const WORKSPACE = 'ws_restart';
const T0 = Date.UTC(2025, 0, 1, 12);
const TOTAL = 600;

/** One indexer process's worth of open files: what a kill leaves behind, to be abandoned. */
interface Incarnation {
  indexer: IndexerService;
  index: FtsSearchIndex;
  files: SqliteDatabase[];
  /** Resolves once the index has been handed its `killAt`-th write. */
  killed: Promise<void>;
}

/**
 * The indexer is "killed" inside its `killAt`-th index write: it writes the first `keep` documents
 * of the batch (committed, as a real crash after a partial write would leave them) and then never
 * returns, so neither the rest of the batch nor its checkpoint is ever written. The incarnation is
 * abandoned without `stop`, as a SIGKILL would.
 */
function startIncarnation(dir: string, killAt?: { write: number; keep: number }): Incarnation {
  const index = FtsSearchIndex.open(join(dir, 'search.db'));
  const checkpointDb = openDatabase(join(dir, 'indexer.db'), { module: 'indexer', migrations: [] });
  const telemetryDb = openDatabase(join(dir, 'telemetry.db'), { module: 'indexer-reader', migrations: [] });
  let writes = 0;
  let kill: () => void = () => undefined;
  const killed = new Promise<void>((resolve) => (kill = resolve));
  const dying: SearchIndex = Object.assign(Object.create(index) as SearchIndex, {
    upsertTelemetry: async (documents: TelemetryDocument[]) => {
      writes += 1;
      if (killAt === undefined || writes < killAt.write) return index.upsertTelemetry(documents);
      await index.upsertTelemetry(documents.slice(0, killAt.keep));
      kill();
      return new Promise<void>(() => undefined);
    },
  });
  const indexer = new IndexerService(dying, logger);
  const feed = new SqliteChangeFeed({ db: telemetryDb, checkpoints: new SqliteCheckpointStore(checkpointDb), logger, pollMs: 5, batchSize: 50 });
  indexer.start(feed);
  return { indexer, index, files: [checkpointDb, telemetryDb], killed };
}

/** Counts straight from search.db: every FTS row and document row per id, not what a search ranks. */
function indexContents(dir: string) {
  const db = openDatabase(join(dir, 'search.db'), { module: 'indexer-test-reader', migrations: [] });
  try {
    return {
      documents: db.prepare("SELECT count(*) FROM search_documents WHERE kind = 'telemetry'").pluck().get() as number,
      distinctIds: db.prepare("SELECT count(DISTINCT doc_key) FROM search_documents WHERE kind = 'telemetry'").pluck().get() as number,
      ftsRows: db.prepare('SELECT count(*) FROM search_fts').pluck().get() as number,
      orphanFtsRows: db.prepare('SELECT count(*) FROM search_fts WHERE rowid NOT IN (SELECT doc_rowid FROM search_documents)').pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

function randomKill(): { name: string; kills: Array<{ write: number; keep: number }> } {
  const killAt = { write: 1 + Math.floor(Math.random() * (TOTAL / 50)), keep: Math.floor(Math.random() * 51) };
  return { name: `at random (write ${killAt.write}, keep ${killAt.keep})`, kills: [killAt] };
}

describe('the indexer killed at any moment and restarted on the same files', () => {
  let dir: string;
  let hubDb: SqliteDatabase;
  const abandoned: Incarnation[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-indexer-restart-'));
    hubDb = openDatabase(join(dir, 'telemetry.db'), { module: 'iot-hub', migrations: TELEMETRY_MIGRATIONS });
    const hub = new SqliteTelemetryRepository(hubDb);
    const records = Array.from({ length: TOTAL }, (_, i) => {
      const document = { label: 'Leakage', unit: 'PPM', value: i };
      const thingName = `sensor-${i % 3}`;
      return {
        record: { topic: `telemetry/${thingName}`, thingName, workspaceId: WORKSPACE, deviceEpoch: T0 + i, receivedAt: Date.now(), document, payload: JSON.stringify(document) },
      };
    });
    hub.write(records);
  });
  afterEach(async () => {
    for (const { index, files } of abandoned.splice(0)) {
      for (const file of files) file.close();
      await index.close();
    }
    hubDb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Kill points: inside the first write, part-way through a later batch, after a whole batch was
  // written but before its checkpoint, and three kills in a row.
  it.each([
    { name: 'in the first write, nothing kept', kills: [{ write: 1, keep: 0 }] },
    { name: 'mid-batch, part of it written', kills: [{ write: 4, keep: 17 }] },
    { name: 'after a whole batch was written, before its checkpoint', kills: [{ write: 7, keep: 50 }] },
    { name: 'three times in a row', kills: [{ write: 2, keep: 31 }, { write: 3, keep: 50 }, { write: 1, keep: 5 }] },
    // A random point as well; it is in the test's name, so a failure can be replayed with the same point.
    randomKill(),
  ])('ends with every record in the index exactly once: killed $name', async ({ kills }) => {
    for (const killAt of kills) {
      const dead = startIncarnation(dir, killAt);
      abandoned.push(dead);
      await dead.killed;
    }
    const survivor = startIncarnation(dir);
    abandoned.push(survivor);
    const deadline = Date.now() + 10_000;
    while (indexContents(dir).documents < TOTAL && Date.now() < deadline) await delay(20);
    // Caught up: a little longer, to see that nothing more arrives (no duplicate rows from a replay).
    await delay(100);
    await survivor.indexer.stop();
    expect(indexContents(dir)).toEqual({ documents: TOTAL, distinctIds: TOTAL, ftsRows: TOTAL, orphanFtsRows: 0 });
    const hits = await survivor.index.search(WORKSPACE, { text: 'leakage', thingName: 'sensor-1', limit: 100 });
    expect(hits.items).toHaveLength(100);
    expect(hits.next).toBeDefined();
  });
});
