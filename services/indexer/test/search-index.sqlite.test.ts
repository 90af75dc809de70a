import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FtsSearchIndex } from '../src/adapters/sqlite/fts.search-index.js';
import { searchIndexContract } from './support/search-index.contract.js';

// The embedded adapter over a real SQLite file in a temp dir.
searchIndexContract('FtsSearchIndex', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'citus-search-'));
  const file = join(dir, 'search.db');
  const harness = {
    index: FtsSearchIndex.open(file),
    reopen: async () => FtsSearchIndex.open(file),
    destroy: async () => {
      await harness.index.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
});
