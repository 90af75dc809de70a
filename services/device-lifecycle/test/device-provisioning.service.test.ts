import { DeviceProvisioningService } from '../src/app/device-provisioning.service.js';
import { deviceFixture, removeTestCa, type DeviceFixture } from './support/device-fixture.js';

// Fleet provisioning's RegisterThing, on the registry's side: a device active from the start.
describe('DeviceProvisioningService', () => {
  let fixture: DeviceFixture;
  let provisioning: DeviceProvisioningService;

  const signed = async (thingName: string, workspaceId = 'ws_factory') => {
    const issued = await fixture.ca.signDeviceCsr(await fixture.csr(), 'Citus IoT provisioned device');
    return { workspaceId, thingName, certificateId: issued.certificateId, certificatePem: issued.certificatePem, notAfter: issued.notAfter };
  };

  beforeEach(async () => {
    fixture = await deviceFixture();
    provisioning = new DeviceProvisioningService(fixture.repository, fixture.directory, fixture.events);
  });
  afterEach(() => fixture.destroy());
  afterAll(() => removeTestCa());

  it('creates an active device whose certificate the hub accepts at once', async () => {
    const changed: unknown[] = [];
    fixture.events.on('device.changed', (event) => void changed.push(event));
    const thing = await signed('sensor-A1');
    const outcome = await provisioning.register(thing);
    // The search index learns of the new device from this event.
    expect(changed).toEqual([{ workspaceId: 'ws_factory', thingName: 'sensor-A1', name: 'sensor-A1', type: null, location: null }]);
    expect(outcome).toEqual({ registered: true, deviceId: expect.stringMatching(/^dev_[0-9a-f]{24}$/) });
    expect(fixture.service.activeCertificate(thing.certificateId)).toEqual({ thingName: 'sensor-A1', workspaceId: 'ws_factory' });
    expect(await fixture.service.list('ws_factory')).toEqual([
      expect.objectContaining({ thingName: 'sensor-A1', name: 'sensor-A1', status: 'active', certificateId: thing.certificateId }),
    ]);
    expect(await fixture.service.list('ws_other')).toEqual([]);
  });

  it('refuses a thing name taken in any workspace, storing nothing', async () => {
    const declared = await fixture.service.declare('ws_other', { name: 'Kitchen' });
    const thing = await signed(declared.thingName);
    expect(await provisioning.register(thing)).toEqual({ registered: false, reason: 'thing-name-taken' });
    expect(fixture.service.activeCertificate(thing.certificateId)).toBeUndefined();
    expect(await fixture.service.list('ws_factory')).toEqual([]);
  });

  it('refuses an invalid thing name', async () => {
    expect(await provisioning.register(await signed('bad name'))).toEqual({ registered: false, reason: 'invalid-thing-name' });
  });

  it('lets the revocation of a provisioned device work as for any other', async () => {
    const thing = await signed('sensor-R1');
    const outcome = await provisioning.register(thing);
    if (!outcome.registered) throw new Error('not registered');
    await fixture.service.revoke('ws_factory', outcome.deviceId);
    expect(fixture.service.activeCertificate(thing.certificateId)).toBeUndefined();
    expect(fixture.revoked).toEqual([{ thingName: 'sensor-R1', certificateId: thing.certificateId }]);
  });
});
