import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AesGcmSecretCipher } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { APP_MIGRATIONS } from '../src/adapters/sqlite/app.migrations.js';
import { SqliteAppRepository } from '../src/adapters/sqlite/app.repository.js';
import { SqliteDeploymentRepository } from '../src/adapters/sqlite/deployment.repository.js';
import { storedForm, type DeploymentRecord } from '../src/domain/deployment.model.js';
import { DEV, HOME, OTHER, anApp, aVersion } from './support/app-fixture.js';

const deploymentId = (n: number): string => `dep_${n.toString(16).padStart(24, '0')}`;

const aDeployment = (n: number, overrides: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
  deploymentId: deploymentId(n),
  workspaceId: HOME.id,
  workspaceSlug: HOME.slug,
  appId: anApp().appId,
  appName: 'pump-watch',
  version: '1.0.0',
  containerName: `citus-dep-${n}`,
  hostPort: 40_000 + n,
  routePrefix: '/',
  env: { LOG_LEVEL: 'debug' },
  secrets: { SLACK_TOKEN: 'xoxb-1' },
  createdAt: 1_000 + n,
  createdBy: DEV,
  follow: 'pinned',
  healthCheck: { path: '/healthz', intervalSeconds: 15, timeoutSeconds: 5, retries: 3 },
  ...overrides,
});

// The deployments table of a real apps.db: one deployment per app name in a workspace, one per port, scoped reads.
describe('SqliteDeploymentRepository', () => {
  let dir: string;
  let db: SqliteDatabase;
  let repository: SqliteDeploymentRepository;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-deployments-'));
    db = openDatabase(join(dir, 'apps.db'), { module: 'app-registry', migrations: APP_MIGRATIONS });
    await new SqliteAppRepository(db).insertApp(anApp(), aVersion(anApp()));
    repository = new SqliteDeploymentRepository(db, new AesGcmSecretCipher(Buffer.alloc(32, 3)));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a deployment with its variables and finds it by id and by app name, in its workspace only', async () => {
    expect(await repository.insert(aDeployment(1))).toBe('inserted');
    expect(await repository.find(HOME.id, deploymentId(1))).toEqual(storedForm(aDeployment(1)));
    expect(await repository.findByAppName(HOME.id, 'pump-watch')).toEqual(storedForm(aDeployment(1)));
    expect(await repository.open(HOME.id, deploymentId(1))).toEqual(aDeployment(1));
    await expect(repository.open(OTHER.id, deploymentId(1))).rejects.toMatchObject({ code: 'not_found' });
    expect(await repository.find(OTHER.id, deploymentId(1))).toBeUndefined();
    expect(await repository.findByAppName(OTHER.id, 'pump-watch')).toBeUndefined();
    expect(await repository.list(OTHER.id)).toEqual([]);
    expect(await repository.delete(OTHER.id, deploymentId(1))).toBe(false);
    expect(await repository.delete(HOME.id, deploymentId(1))).toBe(true);
    expect(await repository.list(HOME.id)).toEqual([]);
  });

  it('refuses a second deployment of an app name in a workspace, and a port another deployment holds', async () => {
    expect(await repository.insert(aDeployment(1))).toBe('inserted');
    expect(await repository.insert(aDeployment(2))).toBe('app_taken');
    expect(await repository.insert(aDeployment(2, { workspaceId: OTHER.id, hostPort: 40_001 }))).toBe('port_taken');
    expect(await repository.insert(aDeployment(2, { workspaceId: OTHER.id, workspaceSlug: OTHER.slug }))).toBe('inserted');
    expect((await repository.list(HOME.id, anApp().appId)).map((d) => d.deploymentId)).toEqual([deploymentId(1)]);
  });

  it('keeps an install\'s publisher, changes follow in its workspace only, and moves a deployment to a free port only', async () => {
    const installed = aDeployment(5, { installedFrom: { workspaceId: OTHER.id, workspaceSlug: OTHER.slug } });
    expect(await repository.insert(installed)).toBe('inserted');
    expect(await repository.open(HOME.id, deploymentId(5))).toEqual(installed);

    expect(await repository.insert(aDeployment(6, { appName: 'other-app' }))).toBe('inserted');
    expect(await repository.setFollow(OTHER.id, deploymentId(6), 'tag')).toBe(false);
    expect(await repository.setFollow(HOME.id, deploymentId(6), 'tag')).toBe(true);
    expect((await repository.find(HOME.id, deploymentId(6)))?.follow).toBe('tag');

    const healthCheck = { path: '/ready', intervalSeconds: 10, timeoutSeconds: 2, retries: 5 };
    const move = { version: '1.1.0', hostPort: 40_005, containerPort: 8080, routePrefix: '/ui/', healthCheck };
    expect(await repository.move(HOME.id, deploymentId(6), move)).toBe('port_taken');
    expect(await repository.move(OTHER.id, deploymentId(6), { ...move, hostPort: 41_000 })).toBe('missing');
    expect(await repository.move(HOME.id, deploymentId(6), { ...move, hostPort: 40_006 })).toBe('moved');
    expect(await repository.find(HOME.id, deploymentId(6))).toMatchObject({ ...move, hostPort: 40_006 });
    // A version that names no port listens where the platform says: none is kept.
    expect(await repository.move(HOME.id, deploymentId(6), { ...move, hostPort: 40_006, containerPort: undefined })).toBe('moved');
    expect(await repository.find(HOME.id, deploymentId(6))).not.toHaveProperty('containerPort');
    expect((await repository.open(HOME.id, deploymentId(6))).healthCheck).toEqual(healthCheck);
  });

  it('keeps the health check of the version a deployment runs; a move to a version without one, or a row from before, has none', async () => {
    expect(await repository.insert(aDeployment(7))).toBe('inserted');
    expect((await repository.find(HOME.id, deploymentId(7)))?.healthCheck).toEqual(aDeployment(7).healthCheck);
    expect(await repository.move(HOME.id, deploymentId(7), { version: '0.9.0', hostPort: 40_007, containerPort: undefined, routePrefix: '/', healthCheck: undefined })).toBe('moved');
    expect(await repository.find(HOME.id, deploymentId(7))).not.toHaveProperty('healthCheck');

    // Migration 6 adds the column empty: a deployment stored before it is not checked.
    db.close();
    const file = join(dir, 'old.db');
    const old = openDatabase(file, { module: 'app-registry', migrations: APP_MIGRATIONS.filter((migration) => migration.version <= 5) });
    await new SqliteAppRepository(old).insertApp(anApp(), aVersion(anApp()));
    old.prepare(`INSERT INTO deployments (deployment_id, workspace_id, workspace_slug, app_id, app_name, version, container_name, host_port,
      route_prefix, env, secret_env, created_at, created_by, created_by_name, sealed) VALUES (?, ?, 'home', ?, 'pump-watch', '1.0.0', 'citus-dep-8', 40008, '/', '{}', '{}', 1, 'usr_dev', 'dev', 1)`)
      .run(deploymentId(8), HOME.id, anApp().appId);
    old.close();
    db = openDatabase(file, { module: 'app-registry', migrations: APP_MIGRATIONS });
    const migrated = new SqliteDeploymentRepository(db, new AesGcmSecretCipher(Buffer.alloc(32, 3)));
    const stored = await migrated.find(HOME.id, deploymentId(8));
    expect(stored).toMatchObject({ deploymentId: deploymentId(8), version: '1.0.0' });
    expect(stored).not.toHaveProperty('healthCheck');
  });
});
