import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AesGcmSecretCipher } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { APP_MIGRATIONS } from '../src/adapters/sqlite/app.migrations.js';
import { SqliteAppRepository } from '../src/adapters/sqlite/app.repository.js';
import { SqliteDeploymentRepository } from '../src/adapters/sqlite/deployment.repository.js';
import { containerSpecFor } from '../src/app/deployment-spec.js';
import { storedForm, type DeploymentRecord } from '../src/domain/deployment.model.js';
import { DEV, HOME, aManifest, anApp, aVersion } from './support/app-fixture.js';

const deploymentId = (n: number): string => `dep_${n.toString(16).padStart(24, '0')}`;
const secretOf = (n: number): string => `xoxb-secret-value-${n}`;
const keyOf = (n: number): string => `citus_apk_secretkeyvalue${n}`;
/** A plain value, which the file does hold: shows the scan of its bytes would find a clear value. */
const PLAIN = 'plain-log-level-marker';

const aDeployment = (n: number, overrides: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
  deploymentId: deploymentId(n),
  workspaceId: HOME.id,
  workspaceSlug: HOME.slug,
  appId: anApp().appId,
  appName: `app-${n}`,
  version: '1.0.0',
  containerName: `citus-dep-${n}`,
  hostPort: 40_000 + n,
  routePrefix: '/',
  env: { LOG_LEVEL: PLAIN },
  secrets: { SLACK_TOKEN: secretOf(n) },
  apiKey: { keyId: `apk_${n}`, key: keyOf(n) },
  createdAt: 1_000 + n,
  createdBy: DEV,
  follow: 'pinned',
  ...overrides,
});

/** apps.db and its WAL as bytes on disk, as anyone who copies the files would read them. */
function rawFiles(file: string): string {
  return [file, `${file}-wal`].filter(existsSync).map((path) => readFileSync(path).toString('latin1')).join('\n');
}

// Deployments' secret values and API keys in a real apps.db: sealed at rest, opened only to start a container.
describe('sealed deployment secrets', () => {
  const cipher = new AesGcmSecretCipher(Buffer.alloc(32, 5));
  let dir: string;
  let file: string;
  let db: SqliteDatabase;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-deployment-secrets-'));
    file = join(dir, 'apps.db');
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function freshRepository(): Promise<SqliteDeploymentRepository> {
    db = openDatabase(file, { module: 'app-registry', migrations: APP_MIGRATIONS });
    await new SqliteAppRepository(db).insertApp(anApp(), aVersion(anApp()));
    return new SqliteDeploymentRepository(db, cipher);
  }

  it('writes neither a secret value nor an API key to apps.db or its WAL, and opens them again', async () => {
    const repository = await freshRepository();
    expect(await repository.insert(aDeployment(1))).toBe('inserted');
    expect(await repository.setApiKey(HOME.id, deploymentId(1), { keyId: 'apk_9', key: keyOf(9) })).toBe(true);

    const raw = rawFiles(file);
    expect(raw).toContain(PLAIN);
    for (const value of [secretOf(1), keyOf(1), keyOf(9)]) expect(raw).not.toContain(value);
    expect(await repository.open(HOME.id, deploymentId(1))).toEqual(aDeployment(1, { apiKey: { keyId: 'apk_9', key: keyOf(9) } }));
    expect(await repository.find(HOME.id, deploymentId(1))).toEqual({ ...storedForm(aDeployment(1)), apiKeyId: 'apk_9' });
  });

  it('does not open a value copied into another deployment or under another name, and still lists every deployment', async () => {
    const repository = await freshRepository();
    await repository.insert(aDeployment(1));
    await repository.insert(aDeployment(2));
    await repository.insert(aDeployment(3));
    db.prepare(`UPDATE deployments SET secret_env = (SELECT secret_env FROM deployments WHERE deployment_id = ?) WHERE deployment_id = ?`).run(deploymentId(1), deploymentId(2));
    db.prepare(`UPDATE deployments SET secret_env = replace(secret_env, 'SLACK_TOKEN', 'OTHER_NAME') WHERE deployment_id = ?`).run(deploymentId(3));

    await expect(repository.open(HOME.id, deploymentId(2))).rejects.toThrow(`the secrets of deployment ${deploymentId(2)} do not open`);
    await expect(repository.open(HOME.id, deploymentId(3))).rejects.toThrow(`the secrets of deployment ${deploymentId(3)} do not open`);
    expect((await repository.list(HOME.id)).map((deployment) => deployment.deploymentId)).toEqual([1, 2, 3].map(deploymentId));
    expect((await repository.open(HOME.id, deploymentId(1))).secrets).toEqual({ SLACK_TOKEN: secretOf(1) });
  });

  it('fails clearly, naming the deployment, on a changed API key or its id, or under another data key', async () => {
    const repository = await freshRepository();
    await repository.insert(aDeployment(1));
    await repository.insert(aDeployment(2));
    await repository.insert(aDeployment(3));
    const sealedKey = db.prepare('SELECT api_key FROM deployments WHERE deployment_id = ?').pluck().get(deploymentId(1)) as string;
    const flipped = `${sealedKey.slice(0, 20)}${sealedKey[20] === 'A' ? 'B' : 'A'}${sealedKey.slice(21)}`;
    db.prepare('UPDATE deployments SET api_key = ? WHERE deployment_id = ?').run(flipped, deploymentId(1));
    db.prepare(`UPDATE deployments SET api_key_id = 'apk_other' WHERE deployment_id = ?`).run(deploymentId(2));

    const message = (n: number): RegExp => new RegExp(`^the secrets of deployment ${deploymentId(n)} do not open: secrets.key in the data dir is not the key`);
    await expect(repository.open(HOME.id, deploymentId(1))).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(message(1)) });
    await expect(repository.open(HOME.id, deploymentId(2))).rejects.toMatchObject({ message: expect.stringMatching(message(2)) });
    const otherKey = new SqliteDeploymentRepository(db, new AesGcmSecretCipher(Buffer.alloc(32, 6)));
    await expect(otherKey.open(HOME.id, deploymentId(3))).rejects.toMatchObject({ message: expect.stringMatching(message(3)) });
    expect(await otherKey.list(HOME.id)).toHaveLength(3);
    expect((await repository.open(HOME.id, deploymentId(3))).apiKey).toEqual({ keyId: 'apk_3', key: keyOf(3) });
  });

  it('seals the rows the platform wrote in clear before, leaving no clear value in the file, and they still start', async () => {
    await writeRowsInClear(file);
    expect(rawFiles(file)).toContain(secretOf(2)); // the removed deployment's, left in the file's free space

    const repository = new SqliteDeploymentRepository((db = openDatabase(file, { module: 'app-registry', migrations: APP_MIGRATIONS })), cipher);
    const raw = rawFiles(file);
    expect(raw).toContain(PLAIN);
    for (const value of [secretOf(1), keyOf(1), secretOf(2), keyOf(2)]) expect(raw).not.toContain(value);
    expect(db.prepare('SELECT deployment_id, sealed FROM deployments').all()).toEqual([{ deployment_id: deploymentId(1), sealed: 1 }]);

    const opened = await repository.open(HOME.id, deploymentId(1));
    expect(opened).toEqual(aDeployment(1));
    const started = containerSpecFor(opened, aManifest({ secrets: ['SLACK_TOKEN'] }));
    expect(started.env).toMatchObject({ SLACK_TOKEN: secretOf(1), CITUS_API_KEY: keyOf(1), LOG_LEVEL: PLAIN });

    db.close(); // a second start has nothing left to seal, and the sealed values still open
    db = openDatabase(file, { module: 'app-registry', migrations: APP_MIGRATIONS });
    expect(await new SqliteDeploymentRepository(db, cipher).open(HOME.id, deploymentId(1))).toEqual(aDeployment(1));
  });
});

/** An apps.db as the platform wrote it before migration 5: one deployment in clear, and one removed. */
async function writeRowsInClear(file: string): Promise<void> {
  const old = openDatabase(file, { module: 'app-registry', migrations: APP_MIGRATIONS.filter((migration) => migration.version <= 4) });
  try {
    await new SqliteAppRepository(old).insertApp(anApp(), aVersion(anApp()));
    const insert = old.prepare(`INSERT INTO deployments (deployment_id, workspace_id, workspace_slug, app_id, app_name, version,
      container_name, host_port, route_prefix, env, secret_env, created_at, created_by, created_by_name, follow, api_key_id, api_key)
      VALUES (?, ?, ?, ?, ?, '1.0.0', ?, ?, '/', ?, ?, ?, ?, ?, 'pinned', ?, ?)`);
    // The removed one's secret lies past 10 kB of others: on an overflow page, which its removal leaves free, uncleared.
    for (const d of [aDeployment(1), aDeployment(2, { secrets: { A_PAD: 'x'.repeat(10_000), SLACK_TOKEN: secretOf(2) } })]) {
      insert.run(d.deploymentId, d.workspaceId, d.workspaceSlug, d.appId, d.appName, d.containerName, d.hostPort, JSON.stringify(d.env),
        JSON.stringify(d.secrets), d.createdAt, DEV.userId, DEV.username, d.apiKey?.keyId, d.apiKey?.key);
    }
    old.prepare('DELETE FROM deployments WHERE deployment_id = ?').run(deploymentId(2));
  } finally {
    old.close();
  }
}
