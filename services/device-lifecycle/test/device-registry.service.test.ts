import { aDeclaration, deviceFixture, HOUR_MS, OTHER_WORKSPACE, removeTestCa, WORKSPACE, type DeviceFixture } from './support/device-fixture.js';

describe('DeviceService registry', () => {
  let fx: DeviceFixture;
  beforeEach(async () => {
    fx = await deviceFixture();
  });
  afterEach(() => fx.destroy());
  afterAll(() => removeTestCa());

  const activeDevice = async () => {
    const device = fx.service.declare(WORKSPACE, aDeclaration());
    const { certificateId } = await fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() });
    return { device, certificateId };
  };
  const certificateStatus = (id: string) => fx.db.prepare('SELECT status FROM certificates WHERE id = ?').pluck().get(id);

  it('lists the devices of a workspace only, oldest first', () => {
    const first = fx.service.declare(WORKSPACE, aDeclaration({ name: 'First' }));
    fx.advance(1000);
    const second = fx.service.declare(WORKSPACE, aDeclaration({ name: 'Second' }));
    fx.service.declare(OTHER_WORKSPACE, aDeclaration({ name: 'Theirs' }));
    expect(fx.service.list(WORKSPACE).map((device) => device.id)).toEqual([first.id, second.id]);
    expect(fx.service.list('ws_empty')).toEqual([]);
  });

  it('never shows the activation code again', () => {
    const declared = fx.service.declare(WORKSPACE, aDeclaration());
    expect(JSON.stringify(fx.service.get(WORKSPACE, declared.id))).not.toContain(declared.activationCode);
    expect(JSON.stringify(fx.service.list(WORKSPACE))).not.toContain(declared.activationCode);
  });

  it('gives devices with the same name different thing names', () => {
    const a = fx.service.declare(WORKSPACE, aDeclaration({ name: 'Sensor' }));
    const b = fx.service.declare(WORKSPACE, aDeclaration({ name: 'Sensor' }));
    expect(a.thingName).not.toBe(b.thingName);
  });

  it('updates metadata, keeps the rest and stamps updatedAt', () => {
    const declared = fx.service.declare(WORKSPACE, aDeclaration());
    fx.advance(HOUR_MS);
    const updated = fx.service.update(WORKSPACE, declared.id, { name: 'Pantry sensor', location: null, latitude: -33.9 });
    expect(updated).toMatchObject({
      name: 'Pantry sensor',
      location: null,
      latitude: -33.9,
      longitude: 4.89,
      type: 'gas',
      thingName: declared.thingName,
      createdAt: declared.createdAt,
    });
    expect(Date.parse(updated.updatedAt) - Date.parse(declared.updatedAt)).toBe(HOUR_MS);
    expect(fx.service.get(WORKSPACE, declared.id)).toEqual(updated);
  });

  describe('in another workspace everything is not_found', () => {
    const notFound = expect.objectContaining({ code: 'not_found' });

    it('get, update and renew', () => {
      const declared = fx.service.declare(WORKSPACE, aDeclaration());
      expect(() => fx.service.get(OTHER_WORKSPACE, declared.id)).toThrow(notFound);
      expect(() => fx.service.update(OTHER_WORKSPACE, declared.id, { name: 'Hijacked' })).toThrow(notFound);
      expect(() => fx.service.renewActivationCode(OTHER_WORKSPACE, declared.id)).toThrow(notFound);
      expect(fx.service.get(WORKSPACE, declared.id).name).toBe('Kitchen Sensor');
    });

    it('delete and revoke, which then change nothing', async () => {
      const { device, certificateId } = await activeDevice();
      expect(() => fx.service.delete(OTHER_WORKSPACE, device.id)).toThrow(notFound);
      expect(() => fx.service.revoke(OTHER_WORKSPACE, device.id)).toThrow(notFound);
      expect(fx.service.get(WORKSPACE, device.id).status).toBe('active');
      expect(certificateStatus(certificateId)).toBe('ACTIVE');
      expect(fx.announced).toEqual([]);
    });
  });

  it('deletes a device: its certificate is revoked and announced, its pending code gone', async () => {
    const { device, certificateId } = await activeDevice();
    const pending = fx.service.declare(WORKSPACE, aDeclaration({ name: 'Pending' }));
    fx.service.delete(WORKSPACE, device.id);
    fx.service.delete(WORKSPACE, pending.id);
    expect(() => fx.service.get(WORKSPACE, device.id)).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(certificateStatus(certificateId)).toBe('REVOKED');
    expect(fx.revoked).toEqual([{ thingName: device.thingName, certificateId }]);
    // The hub closes the sessions on the revocation, then cleans up after the thing.
    expect(fx.announced).toEqual([
      `certificate.revoked ${device.thingName} ${certificateId}`,
      `thing.deleted ${WORKSPACE} ${device.thingName}`,
      `thing.deleted ${WORKSPACE} ${pending.thingName}`,
    ]);
    expect(fx.service.activeCertificate(certificateId)).toBeUndefined();
    expect(fx.db.prepare('SELECT count(*) FROM activations').pluck().get()).toBe(0);
  });

  it('revoking twice announces the certificate once', async () => {
    const { device } = await activeDevice();
    fx.service.revoke(WORKSPACE, device.id);
    fx.service.revoke(WORKSPACE, device.id);
    expect(fx.revoked).toHaveLength(1);
  });

  it('revokes a declared device without a certificate and announces nothing', () => {
    const declared = fx.service.declare(WORKSPACE, aDeclaration());
    expect(fx.service.revoke(WORKSPACE, declared.id).status).toBe('revoked');
    expect(fx.announced).toEqual([]);
  });
});
