import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@citus/kit';
import { EmbeddedCertificateAuthority } from '@citus/pki';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { ProvisioningService, type Claim } from '../../src/app/provisioning.service.js';
import { HubProvisioningCa } from '../../src/adapters/pki/provisioning-ca.adapter.js';
import { PROVISIONING_MIGRATIONS, SqliteProvisioningRepository } from '../../src/adapters/sqlite/provisioning.repository.js';
import type { OutboundMessage } from '../../src/domain/message-publisher.port.js';
import type { ThingRegistrar, ThingRegistration } from '../../src/domain/provisioning/thing-registrar.port.js';

export const WORKSPACE = 'ws_factory';
export const T0 = Date.UTC(2025, 0, 1, 12);

/** An in-memory device registry: the real one is the device lifecycle's, tested through the platform. */
export class InMemoryRegistrar implements ThingRegistrar {
  readonly things = new Map<string, ThingRegistration>();

  async registerThing(registration: ThingRegistration) {
    if (this.things.has(registration.thingName)) return { registered: false as const, reason: 'thing-name-taken' as const };
    this.things.set(registration.thingName, registration);
    return { registered: true as const };
  }
}

/** Keeps what the hub would send, in order. */
export class RecordingPublisher {
  readonly sent: OutboundMessage[] = [];

  publish(message: OutboundMessage): Promise<void> {
    this.sent.push(message);
    return Promise.resolve();
  }
}

export interface ProvisioningFixture {
  dir: string;
  db: SqliteDatabase;
  repository: SqliteProvisioningRepository;
  service: ProvisioningService;
  registrar: InMemoryRegistrar;
  clock: { now: number };
  ca: EmbeddedCertificateAuthority;
  /** A template `sensors` (prefix `sensor-`, required `SerialNumber`) and an active claim certificate of it. */
  claim: Claim;
  close(): void;
}

/** The provisioning service over a real SQLite file and a real CA, with a clock the test moves. */
export async function provisioningFixture(options: { maxOpenPerClaim?: number } = {}): Promise<ProvisioningFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'citus-provisioning-'));
  const db = openDatabase(join(dir, 'provisioning.db'), { module: 'provisioning', migrations: PROVISIONING_MIGRATIONS });
  const repository = new SqliteProvisioningRepository(db);
  const ca = await EmbeddedCertificateAuthority.loadOrCreate(join(dir, 'ca'));
  const registrar = new InMemoryRegistrar();
  const clock = { now: T0 };
  const service = new ProvisioningService(repository, new HubProvisioningCa(ca), registrar, {
    logger: createLogger({ level: 'silent' }),
    now: () => new Date(clock.now),
    ...options,
  });
  service.createTemplate(WORKSPACE, {
    name: 'sensors',
    thingNamePrefix: 'sensor-',
    thingNameParameter: 'SerialNumber',
    parameters: { Site: { default: 'lab' } },
    deviceConfiguration: { site: '{{Site}}', serial: '{{SerialNumber}}' },
    enabled: true,
  });
  const issued = await service.createClaimCertificate(WORKSPACE, 'sensors');
  const claim = { certificateId: issued.certificateId, workspaceId: WORKSPACE, templateName: 'sensors' };
  return {
    dir,
    db,
    repository,
    service,
    registrar,
    clock,
    ca,
    claim,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
