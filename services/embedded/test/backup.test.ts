import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import type { TelemetryPage } from '@citus/contracts';
import { startPlatformProcess, type PlatformProcess } from '../../../bench/src/support/platform-process.js';
import { makeTempDir, type TempDir } from '../../../bench/src/support/temp-dir.js';
import { BackupManifest } from '../src/cli/backup-manifest.js';
import { citus, CITUS_CLI, PLATFORM_MAIN, runPlatformMain } from './support/citus-cli.js';
import { PlatformChild } from './support/platform-child.js';
import { Api, declareAndActivate, type ActivatedDevice } from './support/test-platform.js';

/** Publishes QoS 1 telemetry with numbered ids, one after another's PUBACK, until stopped. */
class Publisher {
  readonly acked = new Set<string>();
  readonly sent: string[] = [];
  private seq = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: MqttClient,
    private readonly thingName: string,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const id = `m-${this.seq++}`;
      this.sent.push(id);
      await this.client.publishAsync(`telemetry/${this.thingName}`, JSON.stringify({ messageId: id, value: this.seq, unit: 'PPM' }), { qos: 1 });
      this.acked.add(id);
    }
  }

  async until(count: number): Promise<void> {
    while (this.acked.size < count) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

function connectDevice(mqttPort: number, device: ActivatedDevice): Promise<MqttClient> {
  return connectAsync(`mqtts://127.0.0.1:${mqttPort}`, {
    clientId: device.device.thingName,
    key: device.privateKeyPem,
    cert: device.activation.certificatePem,
    ca: device.activation.caCertificatePem,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
}

async function storedIds(api: Api, thingName: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${thingName}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    ids.push(...page.body.items.map((item) => String(item.payload.messageId)));
    cursor = page.body.next;
  } while (cursor);
  return ids;
}

// Issue 10 point 5: a backup taken while a device publishes over MQTT TLS restores into a
// platform that has the device, its telemetry up to the backup and the CA its certificate
// chains to. The built platform and CLI run as child processes (after npm run build).
describe('citus backup and restore of a running platform', () => {
  let work: TempDir;
  let platform: PlatformChild;
  let api: Api;
  let device: ActivatedDevice;
  let restored: PlatformProcess | undefined;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    for (const built of [CITUS_CLI, PLATFORM_MAIN]) if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
    work = makeTempDir('citus-backup-test-');
    platform = PlatformChild.create();
    await platform.start();
    api = await Api.login(platform.current.baseUrl, 'admin', platform.adminPassword);
    device = await declareAndActivate(api, 'Backed-up sensor');
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) await client.endAsync(true);
    await restored?.stop();
    await platform?.destroy();
    work?.remove();
  });

  it('backs up during ingest and restores the device, its telemetry up to the backup and the CA', async () => {
    const client = await connectDevice(platform.current.mqttPort, device);
    clients.push(client);
    const publisher = new Publisher(client, device.device.thingName);
    publisher.start();
    await publisher.until(30);
    const ackedBeforeBackup = [...publisher.acked];
    const backupDir = join(work.path, 'backup');
    const backup = await citus('backup', backupDir, '--data-dir', platform.dataDir);
    const sentBeforeBackupEnded = publisher.sent.length;
    await publisher.until(publisher.acked.size + 20);
    await publisher.stop();
    expect(backup).toMatchObject({ code: 0, stderr: expect.stringContaining('backup complete') });
    expect(backup.stderr).toMatch(/telemetry\.db \(.*iot-hub v\d+/);
    // The publisher kept going through the backup: it was a backup of a platform under load.
    expect(sentBeforeBackupEnded).toBeGreaterThan(ackedBeforeBackup.length);

    const manifest = BackupManifest.parse(JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')));
    const entry = (path: string) => manifest.files.find((file) => file.path === path);
    for (const key of ['ca/ca.key', 'identity/token-signing.jwk', 'secrets.key']) {
      expect(entry(key)).toMatchObject({ kind: 'file', mode: '0600' });
      expect(statSync(join(backupDir, key)).mode & 0o777).toBe(0o600);
    }
    expect(entry('telemetry.db')).toMatchObject({ kind: 'sqlite', mode: '0600', schema: { 'iot-hub': expect.any(Number) } });
    expect(entry('devices.db')?.schema).toHaveProperty('device-lifecycle');
    expect(manifest.files.map((file) => file.path)).not.toContain('citus.lock');
    expect(readdirSync(backupDir).filter((name) => /-(wal|shm|journal)$/.test(name))).toEqual([]);

    const dataDir = join(work.path, 'restored');
    const restore = await citus('restore', backupDir, '--data-dir', dataDir);
    expect(restore).toMatchObject({ code: 0, stderr: expect.stringContaining('restore complete') });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'ca', 'ca.key')).mode & 0o777).toBe(0o600);

    restored = await startPlatformProcess({ data: { dataDir, adminPassword: platform.adminPassword } });
    const restoredApi = await Api.login(restored.baseUrl, 'admin', platform.adminPassword);
    expect((await restoredApi.get(`/api/v1/devices/${device.device.id}`)).status).toBe(200);
    const stored = await storedIds(restoredApi, device.device.thingName);
    expect(stored).toEqual(expect.arrayContaining(ackedBeforeBackup));
    // Published after the backup process had exited: cannot be in it.
    const afterwards = new Set(publisher.sent.slice(sentBeforeBackupEnded));
    expect(stored.filter((id) => afterwards.has(id))).toEqual([]);
    expect(new Set(stored).size).toBe(stored.length);

    const caPem = await fetch(`${restored.baseUrl}/api/v1/ca.pem`).then((response) => response.text());
    expect(caPem).toBe(device.activation.caCertificatePem);
    const again = await connectDevice(restored.mqttPort, device);
    clients.push(again);
    await again.publishAsync(`telemetry/${device.device.thingName}`, JSON.stringify({ messageId: 'after-restore', value: 1, unit: 'PPM' }), { qos: 1 });
    expect(await storedIds(restoredApi, device.device.thingName)).toContain('after-restore');
  }, 120_000);

  it('refuses to restore onto the data dir of a running platform, and leaves it alone', async () => {
    const before = readdirSync(platform.dataDir).sort();
    const refused = await citus('restore', join(work.path, 'backup'), '--data-dir', platform.dataDir, '--force');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`refusing to restore: ${platform.dataDir} is in use by process ${platform.current.child.pid}`);
    expect(readdirSync(platform.dataDir).sort()).toEqual(before);
    const siblings = readdirSync(dirname(platform.dataDir)).filter((name) => name.includes(`${basename(platform.dataDir)}.`));
    expect(siblings).toEqual([]);
    expect((await api.get('/healthz')).status).toBe(200);
  }, 60_000);

  it('refuses to start a second platform on a data dir in use (exit 2)', async () => {
    const second = await runPlatformMain(platform.dataDir);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`${platform.dataDir} is in use by process ${platform.current.child.pid}`);
  }, 60_000);
});
