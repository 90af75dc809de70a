import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { SqliteCheckpointStore } from '../src/adapters/sqlite/checkpoint.store.js';
import { checkpointStoreContract } from './support/checkpoint-store.contract.js';

// The embedded adapter over a real SQLite file in a temp dir; `reopen` opens the file again.
checkpointStoreContract('SqliteCheckpointStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'citus-checkpoints-'));
  const file = join(dir, 'indexer.db');
  const handles: SqliteDatabase[] = [];
  const open = () => {
    const db = openDatabase(file, { module: 'indexer-test', migrations: [] });
    handles.push(db);
    return new SqliteCheckpointStore(db);
  };
  return {
    store: open(),
    reopen: open,
    destroy: async () => {
      for (const db of handles) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
