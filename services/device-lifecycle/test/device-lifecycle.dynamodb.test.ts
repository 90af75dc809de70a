import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, EventBus, HealthRegistry, parseConfig, Shutdown } from '@citus/kit';
import { createKeyAndCsr, EmbeddedCertificateAuthority } from '@citus/pki';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
import { DeviceLifecycleConfig } from '../src/config.js';
import { createService, type DeviceLifecycleService } from '../src/service.js';

// The service as the platform mounts it with CITUS_REGISTRY_STORE=dynamodb, against DynamoDB Local.
const dynamo = useDynamoDbLocal();

describe('device lifecycle with CITUS_REGISTRY_STORE=dynamodb', () => {
  let dataDir: string;
  let ca: EmbeddedCertificateAuthority;
  const shutdowns: Shutdown[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'citus-registry-service-'));
    ca = await EmbeddedCertificateAuthority.loadOrCreate(join(dataDir, 'ca'));
  });
  afterEach(async () => {
    for (const shutdown of shutdowns.splice(0)) await shutdown.run('test done');
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const started = async (prefix: string): Promise<DeviceLifecycleService> => {
    const logger = createLogger({ level: 'silent' });
    const shutdown = new Shutdown(logger);
    shutdowns.push(shutdown);
    const config = parseConfig(DeviceLifecycleConfig, {
      CITUS_REGISTRY_STORE: 'dynamodb',
      AWS_REGION: 'eu-west-1',
      CITUS_DYNAMODB_ENDPOINT: dynamo.endpoint(),
      CITUS_DYNAMODB_TABLE_PREFIX: prefix,
    });
    const service = createService({
      logger,
      events: new EventBus(logger),
      health: new HealthRegistry(),
      shutdown,
      dataDir,
      authenticate: (_req, _res, next) => next(),
      config,
      ca,
      mqttPort: () => 8883,
    });
    await service.start?.();
    return service;
  };

  it('creates its table, stores devices there, and answers the hub after a restart', async () => {
    const prefix = dynamo.nextPrefix('service');
    const first = await started(prefix);
    const declared = await first.devices.declare('ws_home', { name: 'Kitchen Sensor' });
    const csr = (await createKeyAndCsr('device')).csrPem;
    const { certificateId } = await first.devices.activate(declared.id, { activationCode: declared.activationCode, csr });

    const restarted = await started(prefix);
    expect(restarted.devices.workspaceOfThing(declared.thingName)).toBe('ws_home');
    expect(restarted.devices.activeCertificate(certificateId)).toEqual({ thingName: declared.thingName, workspaceId: 'ws_home' });
    expect(await restarted.devices.get('ws_home', declared.id)).toMatchObject({ status: 'active', certificateId });
    expect(await restarted.devices.list('ws_home')).toEqual([expect.objectContaining({ id: declared.id })]);
    expect(existsSync(join(dataDir, 'devices.db'))).toBe(false);
  });

  it('registers a provisioned thing in DynamoDB', async () => {
    const service = await started(dynamo.nextPrefix('provisioning'));
    const issued = await ca.signDeviceCsr((await createKeyAndCsr('device')).csrPem, 'Citus IoT provisioned device');
    const { certificateId, certificatePem, notAfter } = issued;
    const thing = { workspaceId: 'ws_factory', thingName: 'sensor-A1', certificateId, certificatePem, notAfter };
    expect(await service.provisioning.register(thing)).toEqual({ registered: true, deviceId: expect.any(String) });
    expect(await service.provisioning.register({ ...thing, certificateId: 'f'.repeat(64) })).toEqual({ registered: false, reason: 'thing-name-taken' });
    expect(service.devices.activeCertificate(certificateId)).toEqual({ thingName: 'sensor-A1', workspaceId: 'ws_factory' });
  });
});
