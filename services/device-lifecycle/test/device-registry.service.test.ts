import { aDeclaration, deviceFixture, HOUR_MS, OTHER_WORKSPACE, removeTestCa, WORKSPACE, type DeviceFixture } from './support/device-fixture.js';

describe('DeviceService registry', () => {
  let fx: DeviceFixture;
  beforeEach(async () => {
    fx = await deviceFixture();
  });
  afterEach(() => fx.destroy());
  afterAll(() => removeTestCa());

  const activeDevice = async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const { certificateId } = await fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() });
    return { device, certificateId };
  };
  const certificateStatus = (id: string) => fx.db.prepare('SELECT status FROM certificates WHERE id = ?').pluck().get(id);

  it('lists the devices of a workspace only, oldest first', async () => {
    const first = await fx.service.declare(WORKSPACE, aDeclaration({ name: 'First' }));
    fx.advance(1000);
    const second = await fx.service.declare(WORKSPACE, aDeclaration({ name: 'Second' }));
    await fx.service.declare(OTHER_WORKSPACE, aDeclaration({ name: 'Theirs' }));
    expect((await fx.service.list(WORKSPACE)).map((device) => device.id)).toEqual([first.id, second.id]);
    expect(await fx.service.list('ws_empty')).toEqual([]);
  });

  it('never shows the activation code again', async () => {
    const declared = await fx.service.declare(WORKSPACE, aDeclaration());
    expect(JSON.stringify(await fx.service.get(WORKSPACE, declared.id))).not.toContain(declared.activationCode);
    expect(JSON.stringify(await fx.service.list(WORKSPACE))).not.toContain(declared.activationCode);
  });

  it('gives devices with the same name different thing names', async () => {
    const a = await fx.service.declare(WORKSPACE, aDeclaration({ name: 'Sensor' }));
    const b = await fx.service.declare(WORKSPACE, aDeclaration({ name: 'Sensor' }));
    expect(a.thingName).not.toBe(b.thingName);
  });

  it('updates metadata, keeps the rest and stamps updatedAt', async () => {
    const declared = await fx.service.declare(WORKSPACE, aDeclaration());
    fx.advance(HOUR_MS);
    const updated = await fx.service.update(WORKSPACE, declared.id, { name: 'Pantry sensor', location: null, latitude: -33.9 });
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
    expect(await fx.service.get(WORKSPACE, declared.id)).toEqual(updated);
  });

  describe('in another workspace everything is not_found', () => {
    const notFound = { code: 'not_found' };

    it('get, update and renew', async () => {
      const declared = await fx.service.declare(WORKSPACE, aDeclaration());
      await expect(fx.service.get(OTHER_WORKSPACE, declared.id)).rejects.toMatchObject(notFound);
      await expect(fx.service.update(OTHER_WORKSPACE, declared.id, { name: 'Hijacked' })).rejects.toMatchObject(notFound);
      await expect(fx.service.renewActivationCode(OTHER_WORKSPACE, declared.id)).rejects.toMatchObject(notFound);
      expect((await fx.service.get(WORKSPACE, declared.id)).name).toBe('Kitchen Sensor');
    });

    it('delete and revoke, which then change nothing', async () => {
      const { device, certificateId } = await activeDevice();
      await expect(fx.service.delete(OTHER_WORKSPACE, device.id)).rejects.toMatchObject(notFound);
      await expect(fx.service.revoke(OTHER_WORKSPACE, device.id)).rejects.toMatchObject(notFound);
      expect((await fx.service.get(WORKSPACE, device.id)).status).toBe('active');
      expect(certificateStatus(certificateId)).toBe('ACTIVE');
      expect(fx.announced).toEqual([]);
    });
  });

  it('deletes a device: its certificate is revoked and announced, its pending code gone', async () => {
    const { device, certificateId } = await activeDevice();
    const pending = await fx.service.declare(WORKSPACE, aDeclaration({ name: 'Pending' }));
    await fx.service.delete(WORKSPACE, device.id);
    await fx.service.delete(WORKSPACE, pending.id);
    await expect(fx.service.get(WORKSPACE, device.id)).rejects.toMatchObject({ code: 'not_found' });
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

  describe('what the hub asks on every connect and publish, answered from memory', () => {
    it('is loaded at start: every thing, and only the certificates still active', async () => {
      const kept = await activeDevice();
      const revoked = await activeDevice();
      const deleted = await activeDevice();
      const declared = await fx.service.declare(OTHER_WORKSPACE, aDeclaration());
      await fx.service.revoke(WORKSPACE, revoked.device.id);
      await fx.service.delete(WORKSPACE, deleted.device.id);
      const restarted = await fx.restarted();
      expect(restarted.activeCertificate(kept.certificateId)).toEqual({ thingName: kept.device.thingName, workspaceId: WORKSPACE });
      expect(restarted.activeCertificate(revoked.certificateId)).toBeUndefined();
      expect(restarted.activeCertificate(deleted.certificateId)).toBeUndefined();
      expect(restarted.workspaceOfThing(declared.thingName)).toBe(OTHER_WORKSPACE);
      expect(restarted.workspaceOfThing(revoked.device.thingName)).toBe(WORKSPACE);
      expect(restarted.workspaceOfThing(deleted.device.thingName)).toBeUndefined();
    });

    it("follows this service's own writes", async () => {
      const declared = await fx.service.declare(WORKSPACE, aDeclaration());
      expect(fx.service.workspaceOfThing(declared.thingName)).toBe(WORKSPACE);
      const { certificateId } = await fx.service.activate(declared.id, { activationCode: declared.activationCode, csr: await fx.csr() });
      expect(fx.service.activeCertificate(certificateId)).toEqual({ thingName: declared.thingName, workspaceId: WORKSPACE });
      await fx.service.delete(WORKSPACE, declared.id);
      expect(fx.service.workspaceOfThing(declared.thingName)).toBeUndefined();
      expect(fx.service.activeCertificate(certificateId)).toBeUndefined();
    });
  });

  it('revoking twice announces the certificate once', async () => {
    const { device } = await activeDevice();
    await fx.service.revoke(WORKSPACE, device.id);
    await fx.service.revoke(WORKSPACE, device.id);
    expect(fx.revoked).toHaveLength(1);
  });

  it('revokes a declared device without a certificate and announces nothing', async () => {
    const declared = await fx.service.declare(WORKSPACE, aDeclaration());
    expect((await fx.service.revoke(WORKSPACE, declared.id)).status).toBe('revoked');
    expect(fx.announced).toEqual([]);
  });
});
