import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, EventBus, type PlatformEvents } from '@citus/kit';
import { createKeyAndCsr, EmbeddedCertificateAuthority } from '@citus/pki';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import type { DeclareDeviceRequest } from '@citus/contracts';
import { DeviceService } from '../../src/app/device.service.js';
import { RegistryDirectory } from '../../src/app/registry.directory.js';
import { EmbeddedCaAdapter } from '../../src/adapters/pki/embedded-ca.adapter.js';
import { DEVICE_MIGRATIONS, SqliteDeviceRepository } from '../../src/adapters/sqlite/device.repository.js';

export const HOUR_MS = 3_600_000;
export const ACTIVATION_TTL_MS = 72 * HOUR_MS;
export const WORKSPACE = 'ws_home';
export const OTHER_WORKSPACE = 'ws_neighbour';
/** The service's clock starts at the real time: the CA stamps certificates with the real clock. */
export const START = new Date();

/** Object mother for declarations. */
export const aDeclaration = (overrides: Partial<DeclareDeviceRequest> = {}): DeclareDeviceRequest => ({
  name: 'Kitchen Sensor',
  type: 'gas',
  location: 'Kitchen',
  latitude: 52.37,
  longitude: 4.89,
  ...overrides,
});

export interface DeviceFixture {
  service: DeviceService;
  db: SqliteDatabase;
  repository: SqliteDeviceRepository;
  /** The service's directory, for services built beside it (they record their writes in it). */
  directory: RegistryDirectory;
  ca: EmbeddedCertificateAuthority;
  /** The bus the services announce on; for services built beside the fixture's. */
  events: EventBus;
  /** Every `certificate.revoked` event emitted so far. */
  revoked: Array<PlatformEvents['certificate.revoked']>;
  /** Every `certificate.revoked` and `thing.deleted` event, in the order emitted. */
  announced: string[];
  /** Moves the service's clock on. */
  advance(ms: number): void;
  /** Another service over the same store, started as after a restart: its directory is loaded afresh. */
  restarted(): Promise<DeviceService>;
  csr(): Promise<string>;
  destroy(): void;
}

let sharedCa: { dir: string; ca: EmbeddedCertificateAuthority } | undefined;

/** One CA per test file is enough, and its key takes a moment to make. */
async function testCa(): Promise<EmbeddedCertificateAuthority> {
  if (!sharedCa) {
    const dir = mkdtempSync(join(tmpdir(), 'citus-ca-'));
    sharedCa = { dir, ca: await EmbeddedCertificateAuthority.loadOrCreate(dir) };
  }
  return sharedCa.ca;
}

export function removeTestCa(): void {
  if (sharedCa) rmSync(sharedCa.dir, { recursive: true, force: true });
  sharedCa = undefined;
}

/** The device service, started, over a real SQLite file, the real embedded CA and a real event bus; the clock is the test's. */
export async function deviceFixture(): Promise<DeviceFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'citus-devices-'));
  const db = openDatabase(join(dir, 'devices.db'), { module: 'device-lifecycle', migrations: DEVICE_MIGRATIONS });
  const ca = await testCa();
  const events = new EventBus(createLogger({ level: 'silent' }));
  const revoked: DeviceFixture['revoked'] = [];
  const announced: string[] = [];
  events.on('certificate.revoked', (payload) => {
    revoked.push(payload);
    announced.push(`certificate.revoked ${payload.thingName} ${payload.certificateId}`);
  });
  events.on('thing.deleted', (payload) => void announced.push(`thing.deleted ${payload.workspaceId} ${payload.thingName}`));
  let now = START.getTime();
  const repository = new SqliteDeviceRepository(db);
  const directory = new RegistryDirectory();
  const start = async (directory: RegistryDirectory) => {
    const started = new DeviceService(repository, directory, new EmbeddedCaAdapter(ca, 365), events, {
      activationTtlMs: ACTIVATION_TTL_MS,
      mqttEndpoint: 'hub.example',
      mqttPort: () => 8883,
      now: () => new Date(now),
    });
    await started.start();
    return started;
  };
  const service = await start(directory);
  return {
    service,
    db,
    repository,
    directory,
    ca,
    events,
    revoked,
    announced,
    advance: (ms) => {
      now += ms;
    },
    restarted: () => start(new RegistryDirectory()),
    csr: async () => (await createKeyAndCsr('whatever-the-device-asks')).csrPem,
    destroy() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
