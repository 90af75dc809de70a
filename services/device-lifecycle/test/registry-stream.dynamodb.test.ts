import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, EventBus, HealthRegistry, parseConfig, Shutdown, type PlatformEvents } from '@citus/kit';
import { createKeyAndCsr, EmbeddedCertificateAuthority } from '@citus/pki';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { DeviceLifecycleConfig } from '../src/config.js';
import { createService, type DeviceLifecycleService } from '../src/service.js';
import { openStreamedDirectory, type StreamedDirectory } from '../src/streamed-directory.module.js';

// Several device-lifecycle instances over one DynamoDB registry, and a directory apart (as the hub
// on its own would hold), each following the registry table's stream on DynamoDB Local.
const dynamo = useDynamoDbLocal();
const WORKSPACE = 'ws_home';
type Announced = { event: 'certificate.revoked'; payload: PlatformEvents['certificate.revoked'] } | { event: 'thing.deleted'; payload: PlatformEvents['thing.deleted'] };

interface Instance {
  service: DeviceLifecycleService;
  announced: Announced[];
}

let dataDir: string;
let ca: EmbeddedCertificateAuthority;
let prefix: string;
const shutdowns: Shutdown[] = [];
const directories: StreamedDirectory[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'citus-registry-stream-'));
  ca = await EmbeddedCertificateAuthority.loadOrCreate(join(dataDir, 'ca'));
});
beforeEach(() => {
  prefix = dynamo.nextPrefix('stream');
});
afterEach(async () => {
  for (const directory of directories.splice(0)) await directory.stop();
  for (const shutdown of shutdowns.splice(0)) await shutdown.run('test done');
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const logger = createLogger({ level: 'silent' });
const config = () =>
  parseConfig(DeviceLifecycleConfig, {
    CITUS_REGISTRY_STORE: 'dynamodb',
    AWS_REGION: 'eu-west-1',
    CITUS_DYNAMODB_ENDPOINT: dynamo.endpoint(),
    CITUS_DYNAMODB_TABLE_PREFIX: prefix,
  });

function recorded(): { events: EventBus; announced: Announced[] } {
  const events = new EventBus(logger);
  const announced: Announced[] = [];
  events.on('certificate.revoked', (payload) => void announced.push({ event: 'certificate.revoked', payload }));
  events.on('thing.deleted', (payload) => void announced.push({ event: 'thing.deleted', payload }));
  return { events, announced };
}

async function instance(): Promise<Instance> {
  const shutdown = new Shutdown(logger);
  shutdowns.push(shutdown);
  const { events, announced } = recorded();
  const service = createService({
    logger,
    events,
    health: new HealthRegistry(),
    shutdown,
    dataDir,
    authenticate: (_req, _res, next) => next(),
    config: config(),
    ca,
    mqttPort: () => 8883,
  });
  await service.start?.();
  return { service, announced };
}

async function directoryApart(duringLoad?: () => Promise<void>): Promise<{ directory: StreamedDirectory; announced: Announced[] }> {
  const { events, announced } = recorded();
  const directory = openStreamedDirectory({ config: config(), events, logger, ...(duringLoad ? { duringLoad } : {}) });
  directories.push(directory);
  await directory.start();
  return { directory, announced };
}

/** Declares and activates a device on the instance: its thing name, id and certificate id. */
async function activated(on: Instance, name: string): Promise<{ id: string; thingName: string; certificateId: string }> {
  const declared = await on.service.devices.declare(WORKSPACE, { name });
  const csr = (await createKeyAndCsr('device')).csrPem;
  const { certificateId } = await on.service.devices.activate(declared.id, { activationCode: declared.activationCode, csr });
  return { id: declared.id, thingName: declared.thingName, certificateId };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));
const count = (announced: Announced[], event: Announced['event']) => announced.filter((entry) => entry.event === event).length;

describe('the registry directory following the DynamoDB registry stream', () => {
  it('an instance learns a device declared and activated on another, then its revocation, announced once in each process', async () => {
    const a = await instance();
    const b = await instance();
    const device = await activated(a, 'Kitchen Sensor');
    await waitFor(() => b.service.devices.activeCertificate(device.certificateId) !== undefined, "B knowing A's activation");
    expect(b.service.devices.workspaceOfThing(device.thingName)).toBe(WORKSPACE);
    expect(b.service.devices.activeCertificate(device.certificateId)).toEqual({ thingName: device.thingName, workspaceId: WORKSPACE });

    await a.service.devices.revoke(WORKSPACE, device.id);
    await waitFor(() => b.service.devices.activeCertificate(device.certificateId) === undefined, "B refusing A's revoked certificate");
    await waitFor(() => b.announced.length > 0, 'B announcing the revocation');
    await settle();
    const revoked = { event: 'certificate.revoked', payload: { thingName: device.thingName, certificateId: device.certificateId } };
    // B's hub closes the sessions it holds; A announced its own write once, not again from the stream.
    expect(b.announced).toEqual([revoked]);
    expect(a.announced).toEqual([revoked]);
  });

  it('a deletion on one instance is announced on the other from the old image, certificates revoked first', async () => {
    const a = await instance();
    const b = await instance();
    const device = await activated(a, 'Garage Door');
    await waitFor(() => b.service.devices.workspaceOfThing(device.thingName) !== undefined, "B knowing A's device");
    await waitFor(() => b.service.devices.activeCertificate(device.certificateId) !== undefined, "B knowing A's certificate");

    await a.service.devices.delete(WORKSPACE, device.id);
    await waitFor(() => count(b.announced, 'thing.deleted') > 0, 'B announcing the deletion');
    await settle();
    expect(b.service.devices.workspaceOfThing(device.thingName)).toBeUndefined();
    expect(b.service.devices.activeCertificate(device.certificateId)).toBeUndefined();
    expect(b.announced).toEqual([
      { event: 'certificate.revoked', payload: { thingName: device.thingName, certificateId: device.certificateId } },
      { event: 'thing.deleted', payload: { workspaceId: WORKSPACE, thingName: device.thingName } },
    ]);
    expect(count(a.announced, 'thing.deleted')).toBe(1);
  });

  it('a directory apart, started after the writes, answers from its Scan at once, then follows', async () => {
    const a = await instance();
    const kept = await activated(a, 'Boiler');
    const revokedEarlier = await activated(a, 'Old Boiler');
    await a.service.devices.revoke(WORKSPACE, revokedEarlier.id);

    const { directory, announced } = await directoryApart();
    expect(directory.workspaceOfThing(kept.thingName)).toBe(WORKSPACE);
    expect(directory.activeCertificate(kept.certificateId)).toEqual({ thingName: kept.thingName, workspaceId: WORKSPACE });
    expect(directory.workspaceOfThing(revokedEarlier.thingName)).toBe(WORKSPACE);
    expect(directory.activeCertificate(revokedEarlier.certificateId)).toBeUndefined();
    expect(directory.activeCertificate(kept.certificateId, Date.parse('2999-01-01T00:00:00Z'))).toBeUndefined();

    await a.service.devices.revoke(WORKSPACE, kept.id);
    await waitFor(() => announced.length > 0, 'the revocation announced');
    expect(directory.activeCertificate(kept.certificateId)).toBeUndefined();
    expect(announced).toEqual([{ event: 'certificate.revoked', payload: { thingName: kept.thingName, certificateId: kept.certificateId } }]);
    expect(directory.lagMs()).toBeGreaterThanOrEqual(0);
  });

  it('does not lose what is written after the stream is opened but missing from the Scan', async () => {
    const a = await instance();
    let racing: { thingName: string; certificateId: string } | undefined;
    // Written once the Scan has read the table, before its result is applied: only the stream can bring it.
    const { directory } = await directoryApart(async () => {
      racing = await activated(a, 'Racing Sensor');
    });
    const device = racing;
    if (!device) throw new Error('the load hook did not run');
    await waitFor(() => directory.activeCertificate(device.certificateId) !== undefined, 'the racing activation from the stream');
    expect(directory.workspaceOfThing(device.thingName)).toBe(WORKSPACE);
  });

  it('refuses the SQLite registry, which has no stream', () => {
    const { events } = recorded();
    const sqlite = parseConfig(DeviceLifecycleConfig, {});
    expect(() => openStreamedDirectory({ config: sqlite, events, logger })).toThrow(/needs CITUS_REGISTRY_STORE=dynamodb/);
  });
});
