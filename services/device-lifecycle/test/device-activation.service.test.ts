import { createHash, X509Certificate } from 'node:crypto';
import { ACTIVATION_TTL_MS, aDeclaration, deviceFixture, HOUR_MS, removeTestCa, START, WORKSPACE, type DeviceFixture } from './support/device-fixture.js';

const DAY_MS = 24 * HOUR_MS;
const CODE_FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

const wrongCodeFor = (code: string) => (code.startsWith('0') ? `1${code.slice(1)}` : `0${code.slice(1)}`);

describe('DeviceService activation', () => {
  let fx: DeviceFixture;
  beforeEach(async () => {
    fx = await deviceFixture();
  });
  afterEach(() => fx.destroy());
  afterAll(() => removeTestCa());

  const activationRow = (deviceId: string) =>
    fx.db.prepare('SELECT code_hash AS codeHash, expires_at AS expiresAt, failed_attempts AS failedAttempts FROM activations WHERE device_id = ?').get(deviceId) as
      | { codeHash: string; expiresAt: string; failedAttempts: number }
      | undefined;

  it('declares a device with a one-time code that is stored only as a hash', async () => {
    const declared = await fx.service.declare(WORKSPACE, aDeclaration());
    expect(declared).toMatchObject({ status: 'declared', workspaceId: WORKSPACE, certificateId: null });
    expect(declared.thingName).toMatch(/^kitchen-sensor-[0-9a-f]{8}$/);
    expect(declared.activationCode).toMatch(CODE_FORMAT);
    expect(declared.activationExpiresAt).toBe(new Date(START.getTime() + ACTIVATION_TTL_MS).toISOString());
    const normalised = declared.activationCode.replaceAll('-', '');
    expect(activationRow(declared.id)?.codeHash).toBe(createHash('sha256').update(normalised).digest('hex'));
    const everything = JSON.stringify([fx.db.prepare('SELECT * FROM devices').all(), fx.db.prepare('SELECT * FROM activations').all()]);
    expect(everything).not.toContain(declared.activationCode);
    expect(everything).not.toContain(normalised);
  });

  it('activates with the right code and a CSR: a certificate for this thing, chained to the CA', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const activation = await fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() });
    expect(activation).toMatchObject({ thingName: device.thingName, caCertificatePem: fx.ca.certificatePem, mqttEndpoint: 'hub.example', mqttPort: 8883 });
    const cert = new X509Certificate(activation.certificatePem);
    expect(cert.subject).toBe(`CN=${device.thingName}`);
    expect(cert.checkIssued(new X509Certificate(fx.ca.certificatePem))).toBe(true);
    expect(await fx.service.get(WORKSPACE, device.id)).toMatchObject({ status: 'active', certificateId: activation.certificateId });
    expect(fx.service.activeCertificate(activation.certificateId)).toEqual({ thingName: device.thingName, workspaceId: WORKSPACE });
    expect(activationRow(device.id)).toBeUndefined();
  });

  it('refuses the same code a second time', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    await fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() });
    await expect(fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() })).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('lets only one of two racing activations with the same code win', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const request = { activationCode: device.activationCode, csr: await fx.csr() };
    const results = await Promise.allSettled([fx.service.activate(device.id, request), fx.service.activate(device.id, request)]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(fx.db.prepare('SELECT count(*) FROM certificates').pluck().get()).toBe(1);
  });

  it('counts wrong codes and locks after 5: then even the right code is refused', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const csr = await fx.csr();
    for (let attempt = 1; attempt <= 5; attempt++) {
      await expect(fx.service.activate(device.id, { activationCode: wrongCodeFor(device.activationCode), csr })).rejects.toMatchObject({
        code: 'forbidden',
      });
      expect(activationRow(device.id)?.failedAttempts).toBe(attempt);
    }
    await expect(fx.service.activate(device.id, { activationCode: device.activationCode, csr })).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('locked'),
    });
    expect((await fx.service.get(WORKSPACE, device.id)).status).toBe('declared');
  });

  it('still accepts the right code after 4 wrong ones', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const csr = await fx.csr();
    for (let attempt = 0; attempt < 4; attempt++) {
      await expect(fx.service.activate(device.id, { activationCode: 'WRONG-CODE', csr })).rejects.toMatchObject({ code: 'forbidden' });
    }
    await expect(fx.service.activate(device.id, { activationCode: device.activationCode, csr })).resolves.toMatchObject({
      thingName: device.thingName,
    });
  });

  it('refuses an expired code', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    fx.advance(ACTIVATION_TTL_MS);
    await expect(fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() })).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('expired'),
    });
  });

  it('accepts a code just before it expires', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    fx.advance(ACTIVATION_TTL_MS - 1);
    await expect(fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() })).resolves.toBeDefined();
  });

  it('does not consume the code on a bad CSR', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const garbage = '-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----';
    await expect(fx.service.activate(device.id, { activationCode: device.activationCode, csr: garbage })).rejects.toMatchObject({
      code: 'bad_request',
    });
    expect(activationRow(device.id)?.failedAttempts).toBe(0);
    await expect(fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() })).resolves.toBeDefined();
  });

  it.each([
    ['lowercase', (code: string) => code.toLowerCase()],
    ['without dashes', (code: string) => code.replaceAll('-', '')],
    ['with spaces', (code: string) => code.replaceAll('-', ' ')],
    ['with O for 0 and l for 1', (code: string) => code.replaceAll('0', 'O').replaceAll('1', 'l')],
  ])('matches the code typed %s', async (_how, retype) => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const activationCode = retype(device.activationCode);
    await expect(fx.service.activate(device.id, { activationCode, csr: await fx.csr() })).resolves.toMatchObject({ thingName: device.thingName });
  });

  it('answers not_found for an unknown device', async () => {
    await expect(fx.service.activate('dev_nope', { activationCode: 'ABCD-EFGH-JKMN-PQRS', csr: await fx.csr() })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('renews a locked-out code: the lock is reset, the old code is dead, the new one works', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const csr = await fx.csr();
    for (let attempt = 0; attempt < 5; attempt++) {
      await fx.service.activate(device.id, { activationCode: 'WRONG', csr }).catch(() => undefined);
    }
    const renewed = await fx.service.renewActivationCode(WORKSPACE, device.id);
    expect(activationRow(device.id)?.failedAttempts).toBe(0);
    await expect(fx.service.activate(device.id, { activationCode: device.activationCode, csr })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(fx.service.activate(device.id, { activationCode: renewed.activationCode, csr })).resolves.toBeDefined();
  });

  it('does not renew the code of an active device', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    await fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() });
    await expect(fx.service.renewActivationCode(WORKSPACE, device.id)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('revokes: the certificate is REVOKED, the event is emitted, the hub no longer accepts it', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const { certificateId } = await fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() });
    expect((await fx.service.revoke(WORKSPACE, device.id)).status).toBe('revoked');
    const row = fx.db.prepare('SELECT status, revoked_at AS revokedAt FROM certificates WHERE id = ?').get(certificateId);
    expect(row).toEqual({ status: 'REVOKED', revokedAt: expect.any(String) });
    expect(fx.revoked).toEqual([{ thingName: device.thingName, certificateId }]);
    expect(fx.service.activeCertificate(certificateId)).toBeUndefined();
  });

  it('re-activates a revoked device with a new code and a new certificate', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const first = await fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() });
    await fx.service.revoke(WORKSPACE, device.id);
    const { activationCode } = await fx.service.renewActivationCode(WORKSPACE, device.id);
    const second = await fx.service.activate(device.id, { activationCode, csr: await fx.csr() });
    expect(second.certificateId).not.toBe(first.certificateId);
    expect(fx.service.activeCertificate(first.certificateId)).toBeUndefined();
    expect(fx.service.activeCertificate(second.certificateId)).toBeDefined();
  });

  it('stops accepting a certificate once it has expired', async () => {
    const device = await fx.service.declare(WORKSPACE, aDeclaration());
    const { certificateId } = await fx.service.activate(device.id, { activationCode: device.activationCode, csr: await fx.csr() });
    fx.advance(366 * DAY_MS);
    expect(fx.service.activeCertificate(certificateId)).toBeUndefined();
  });

  it('knows no unknown certificate', () => {
    expect(fx.service.activeCertificate('0'.repeat(64))).toBeUndefined();
  });
});
