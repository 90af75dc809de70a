import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@citus/kit';
import { schemaVersionsOfFile, type SchemaVersions } from '@citus/sqlite';
import { startPlatform } from '../platform.js';
import { listDataDir } from './data-dir.files.js';

/** Per SQLite file of a data dir (its relative path), the schema versions this code migrates it to. */
export type SchemaCatalog = Map<string, SchemaVersions>;

/**
 * Learns the schema versions this code writes by starting the embedded platform on a throwaway
 * data dir (loopback, ports the system picks, nothing logged) and reading what its migrations
 * recorded. Each service keeps its migrations to itself; the platform's own start-up is the one
 * place that knows them all, so asking it cannot miss a module the way a hand-kept list could.
 */
export async function schemaCatalogOfThisCode(): Promise<SchemaCatalog> {
  const dataDir = mkdtempSync(join(tmpdir(), 'citus-schema-'));
  try {
    const platform = await startPlatform(
      {
        PORT: '0',
        HOST: '127.0.0.1',
        MQTT_TLS_PORT: '0',
        MQTT_HOST: '127.0.0.1',
        CITUS_DATA_DIR: dataDir,
        CITUS_ADMIN_PASSWORD: randomBytes(24).toString('base64url'),
      },
      createLogger({ level: 'silent' }),
    );
    await platform.stop();
    const catalog: SchemaCatalog = new Map();
    for (const entry of listDataDir(dataDir).entries) {
      if (entry.kind === 'sqlite') catalog.set(entry.path, schemaVersionsOfFile(join(dataDir, entry.path)));
    }
    return catalog;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
