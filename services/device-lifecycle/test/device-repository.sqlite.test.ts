import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@citus/sqlite';
import { DEVICE_MIGRATIONS, SqliteDeviceRepository } from '../src/adapters/sqlite/device.repository.js';
import { deviceRepositoryContract } from './support/device-repository.contract.js';

// The embedded adapter over a real SQLite file, fresh for each test.
deviceRepositoryContract('SqliteDeviceRepository', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'citus-registry-'));
  const db = openDatabase(join(dir, 'devices.db'), { module: 'device-lifecycle', migrations: DEVICE_MIGRATIONS });
  return {
    repository: new SqliteDeviceRepository(db),
    destroy: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
