import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppManifest } from '@citus/contracts';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { APP_MIGRATIONS } from '../../src/adapters/sqlite/app.migrations.js';
import { SqliteAppRepository } from '../../src/adapters/sqlite/app.repository.js';
import type { Actor, AppRecord, AppVersionRecord } from '../../src/domain/app.model.js';

export const HOME = { id: 'ws_home', slug: 'home' };
export const OTHER = { id: 'ws_other', slug: 'other' };
export const DEV: Actor = { userId: 'usr_dev', username: 'dev' };
export const REVIEWER: Actor = { userId: 'usr_admin', username: 'admin' };

/** A valid manifest, defaults filled as the API fills them. */
export const aManifest = (overrides: Partial<AppManifest> = {}): AppManifest =>
  AppManifest.parse({
    name: 'pump-watch',
    version: '1.0.0',
    description: 'Watches pumps and warns of dry runs',
    category: 'monitoring',
    image: 'citus/pump-watch:1.0.0',
    ...overrides,
  });

export const anApp = (overrides: Partial<AppRecord> = {}): AppRecord => ({
  workspaceId: HOME.id,
  workspaceSlug: HOME.slug,
  appId: `app_${'0'.repeat(23)}1`,
  name: 'pump-watch',
  createdAt: 1_000,
  createdBy: DEV,
  autoApprove: false,
  ...overrides,
});

export const aVersion = (app: AppRecord, overrides: Partial<AppVersionRecord> = {}): AppVersionRecord => ({
  workspaceId: app.workspaceId,
  appId: app.appId,
  version: '1.0.0',
  status: 'draft',
  manifest: aManifest({ name: app.name, version: overrides.version ?? '1.0.0' }),
  createdAt: 1_000,
  createdBy: DEV,
  updatedAt: 1_000,
  ...overrides,
});

/** A real `apps.db` in a temp dir, reopenable to show what survives a restart. */
export function appStore() {
  const dir = mkdtempSync(join(tmpdir(), 'citus-apps-'));
  const file = join(dir, 'apps.db');
  const open = () => openDatabase(file, { module: 'app-registry', migrations: APP_MIGRATIONS });
  let db: SqliteDatabase = open();
  let repository = new SqliteAppRepository(db);
  return {
    get repository() {
      return repository;
    },
    reopen() {
      db.close();
      db = open();
      repository = new SqliteAppRepository(db);
      return repository;
    },
    destroy() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
