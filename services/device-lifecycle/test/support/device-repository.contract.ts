import type { ActivationRecord, CertificateRecord, DeviceRecord, DeviceRepository } from '../../src/domain/device.model.js';

/** One adapter's storage, fresh for each test. */
export interface DeviceRepositoryHarness {
  repository: DeviceRepository;
  destroy(): Promise<void>;
}

const WORKSPACE = 'ws_home';
const OTHER_WORKSPACE = 'ws_neighbour';
const T0 = Date.UTC(2025, 0, 1, 12);
const at = (offsetMs = 0) => new Date(T0 + offsetMs).toISOString();
let sequence = 0;

/** Object mothers: a declared device, its activation, a certificate of it. */
const aDevice = (overrides: Partial<DeviceRecord> = {}): DeviceRecord => {
  const n = ++sequence;
  return {
    id: `dev_${String(n).padStart(24, '0')}`,
    workspaceId: WORKSPACE,
    thingName: `sensor-${n}`,
    name: 'Kitchen Sensor',
    type: 'gas',
    location: 'Kitchen',
    latitude: 52.37,
    longitude: 4.89,
    status: 'declared',
    certificateId: null,
    createdAt: at(n),
    updatedAt: at(n),
    ...overrides,
  };
};
const anActivation = (device: DeviceRecord, codeHash = 'hash-1'): ActivationRecord => ({
  deviceId: device.id,
  codeHash,
  expiresAt: at(72 * 3_600_000),
  failedAttempts: 0,
});
const aCertificate = (device: DeviceRecord, overrides: Partial<CertificateRecord> = {}): CertificateRecord => ({
  id: `cert-${++sequence}`.padEnd(64, '0'),
  thingName: device.thingName,
  deviceId: device.id,
  workspaceId: device.workspaceId,
  certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
  status: 'ACTIVE',
  notAfter: at(365 * 86_400_000),
  createdAt: at(),
  revokedAt: null,
  ...overrides,
});

/** The rules every `DeviceRepository` adapter keeps (see the port); run once per adapter. */
export function deviceRepositoryContract(adapter: string, open: () => Promise<DeviceRepositoryHarness>): void {
  let harness: DeviceRepositoryHarness | undefined;
  beforeEach(async () => {
    harness = await open();
  });
  afterEach(async () => {
    await harness?.destroy();
    harness = undefined;
  });
  const store = () => (harness as DeviceRepositoryHarness).repository;

  /** A declared device with its activation (code hash `hash-1`). */
  const declared = async (overrides: Partial<DeviceRecord> = {}) => {
    const device = aDevice(overrides);
    expect(await store().insert(device, anActivation(device))).toBe(true);
    return device;
  };
  /** A device activated with a fresh certificate. */
  const activated = async (overrides: Partial<DeviceRecord> = {}) => {
    const device = await declared(overrides);
    const certificate = aCertificate(device);
    expect(await store().completeActivation(device.id, 'hash-1', certificate, at(1000))).toBe(true);
    return { device, certificate };
  };

  describe(`${adapter}: workspace scoping`, () => {
    it('finds a device in its workspace only, and lists a workspace oldest first', async () => {
      const second = await declared({ createdAt: at(2000) });
      const first = await declared({ createdAt: at(1000) });
      const theirs = await declared({ workspaceId: OTHER_WORKSPACE });
      expect(await store().get(WORKSPACE, first.id)).toEqual(first);
      expect(await store().get(OTHER_WORKSPACE, first.id)).toBeUndefined();
      expect((await store().list(WORKSPACE)).map((device) => device.id)).toEqual([first.id, second.id]);
      expect(await store().list(OTHER_WORKSPACE)).toEqual([theirs]);
      expect(await store().list('ws_empty')).toEqual([]);
    });

    it('updates only in the workspace: elsewhere nothing changes', async () => {
      const device = await declared();
      expect(await store().update(OTHER_WORKSPACE, device.id, { name: 'Hijacked' }, at(5000))).toBeUndefined();
      expect(await store().get(WORKSPACE, device.id)).toEqual(device);
      const updated = await store().update(WORKSPACE, device.id, { name: 'Pantry', location: null, latitude: -33.9 }, at(5000));
      expect(updated).toEqual({ ...device, name: 'Pantry', location: null, latitude: -33.9, updatedAt: at(5000) });
      expect(await store().get(WORKSPACE, device.id)).toEqual(updated);
    });

    it('revokes and deletes only in the workspace: elsewhere nothing changes', async () => {
      const { device, certificate } = await activated();
      const pending = await declared();
      expect(await store().revoke(OTHER_WORKSPACE, device.id, at(5000))).toEqual([]);
      expect(await store().delete(OTHER_WORKSPACE, device.id, at(5000))).toEqual([]);
      expect(await store().revoke(OTHER_WORKSPACE, pending.id, at(5000))).toEqual([]);
      expect((await store().get(WORKSPACE, device.id))?.status).toBe('active');
      expect((await store().findCertificate(certificate.id))?.status).toBe('ACTIVE');
      expect((await store().findForActivation(pending.id))?.activation).toEqual(anActivation(pending));
    });

    it('answers the unscoped reads across workspaces', async () => {
      const { device, certificate } = await activated({ workspaceId: OTHER_WORKSPACE });
      expect(await store().findByThingName(device.thingName)).toMatchObject({ id: device.id, workspaceId: OTHER_WORKSPACE });
      expect(await store().findCertificate(certificate.id)).toEqual(certificate);
      expect((await store().findForActivation(device.id))?.device.workspaceId).toBe(OTHER_WORKSPACE);
      expect(await store().findByThingName('nobody')).toBeUndefined();
      expect(await store().findCertificate('f'.repeat(64))).toBeUndefined();
      expect(await store().findForActivation('dev_nope')).toBeUndefined();
    });
  });

  describe(`${adapter}: uniqueness`, () => {
    it('refuses a thing name taken in any workspace, storing nothing', async () => {
      const taken = await declared();
      const clash = aDevice({ thingName: taken.thingName, workspaceId: OTHER_WORKSPACE });
      expect(await store().insert(clash, anActivation(clash))).toBe(false);
      const provisioned = aDevice({ thingName: taken.thingName, status: 'active' });
      expect(await store().insertActivated(provisioned, aCertificate(provisioned))).toBe(false);
      expect(await store().findForActivation(clash.id)).toBeUndefined();
      expect(await store().findForActivation(provisioned.id)).toBeUndefined();
      expect((await store().findByThingName(taken.thingName))?.id).toBe(taken.id);
    });

    it('refuses a certificate id already stored, storing nothing', async () => {
      const { certificate } = await activated();
      const provisioned = aDevice({ status: 'active', certificateId: certificate.id });
      expect(await store().insertActivated(provisioned, aCertificate(provisioned, { id: certificate.id }))).toBe(false);
      expect(await store().findByThingName(provisioned.thingName)).toBeUndefined();
      expect((await store().findCertificate(certificate.id))?.deviceId).not.toBe(provisioned.id);
    });

    it('frees the thing name of a deleted device', async () => {
      const gone = await declared();
      await store().delete(WORKSPACE, gone.id, at(5000));
      const again = aDevice({ thingName: gone.thingName });
      expect(await store().insert(again, anActivation(again))).toBe(true);
      expect((await store().findByThingName(gone.thingName))?.id).toBe(again.id);
    });

    it('stores a provisioned device active, with its certificate', async () => {
      const device = aDevice({ status: 'active' });
      const certificate = aCertificate(device);
      expect(await store().insertActivated({ ...device, certificateId: certificate.id }, certificate)).toBe(true);
      expect(await store().get(WORKSPACE, device.id)).toEqual({ ...device, certificateId: certificate.id });
      expect(await store().findCertificate(certificate.id)).toEqual(certificate);
    });
  });

  describe(`${adapter}: activation`, () => {
    it('consumes the code, stores the certificate and activates the device, once', async () => {
      const { device, certificate } = await activated();
      expect(await store().get(WORKSPACE, device.id)).toMatchObject({ status: 'active', certificateId: certificate.id, updatedAt: at(1000) });
      expect(await store().findForActivation(device.id)).toEqual({ device: expect.objectContaining({ id: device.id }), activation: undefined });
      const again = aCertificate(device);
      expect(await store().completeActivation(device.id, 'hash-1', again, at(2000))).toBe(false);
      expect(await store().findCertificate(again.id)).toBeUndefined();
    });

    it('refuses a code replaced meanwhile', async () => {
      const device = await declared();
      expect(await store().putActivation(anActivation(device, 'hash-2'))).toBe(true);
      expect(await store().completeActivation(device.id, 'hash-1', aCertificate(device), at(1000))).toBe(false);
      expect((await store().get(WORKSPACE, device.id))?.status).toBe('declared');
    });

    it('lets one of two racing activations with the same code win', async () => {
      const device = await declared();
      const [first, second] = [aCertificate(device), aCertificate(device)];
      const outcomes = await Promise.all([
        store().completeActivation(device.id, 'hash-1', first, at(1000)),
        store().completeActivation(device.id, 'hash-1', second, at(1000)),
      ]);
      expect(outcomes.sort()).toEqual([false, true]);
      const stored = await Promise.all([store().findCertificate(first.id), store().findCertificate(second.id)]);
      expect(stored.filter(Boolean)).toHaveLength(1);
    });

    it('counts failed attempts, and a new code resets them', async () => {
      const device = await declared();
      expect(await store().recordFailedAttempt(device.id)).toBe(1);
      expect(await store().recordFailedAttempt(device.id)).toBe(2);
      expect((await store().findForActivation(device.id))?.activation?.failedAttempts).toBe(2);
      expect(await store().putActivation(anActivation(device, 'hash-2'))).toBe(true);
      expect((await store().findForActivation(device.id))?.activation).toEqual(anActivation(device, 'hash-2'));
      expect(await store().recordFailedAttempt('dev_nope')).toBe(0);
    });

    it('stores no activation for a device that is gone', async () => {
      const device = await declared();
      await store().delete(WORKSPACE, device.id, at(5000));
      expect(await store().putActivation(anActivation(device, 'hash-2'))).toBe(false);
      expect(await store().findForActivation(device.id)).toBeUndefined();
    });
  });

  describe(`${adapter}: revocation and deletion`, () => {
    it('revokes the active certificates and the pending code, returning the certificate ids once', async () => {
      const { device, certificate } = await activated();
      await store().putActivation(anActivation(device, 'hash-2'));
      expect(await store().revoke(WORKSPACE, device.id, at(5000))).toEqual([certificate.id]);
      expect(await store().revoke(WORKSPACE, device.id, at(6000))).toEqual([]);
      expect(await store().findCertificate(certificate.id)).toEqual({ ...certificate, status: 'REVOKED', revokedAt: at(5000) });
      expect(await store().findForActivation(device.id)).toMatchObject({ device: { status: 'revoked' }, activation: undefined });
    });

    it('never leaves a revoked device with an active certificate, whichever of revoke and activation runs first', async () => {
      const device = await declared();
      const certificate = aCertificate(device);
      await Promise.all([store().revoke(WORKSPACE, device.id, at(5000)), store().completeActivation(device.id, 'hash-1', certificate, at(5000))]);
      // Revoked after the activation, the certificate is revoked too; before it, the code was dropped.
      expect((await store().get(WORKSPACE, device.id))?.status).toBe('revoked');
      expect((await store().findCertificate(certificate.id))?.status).not.toBe('ACTIVE');
    });

    it('re-activates a revoked device with a new certificate', async () => {
      const { device, certificate } = await activated();
      await store().revoke(WORKSPACE, device.id, at(5000));
      await store().putActivation(anActivation(device, 'hash-2'));
      const renewed = aCertificate(device);
      expect(await store().completeActivation(device.id, 'hash-2', renewed, at(6000))).toBe(true);
      expect((await store().findCertificate(certificate.id))?.status).toBe('REVOKED');
      expect((await store().findCertificate(renewed.id))?.status).toBe('ACTIVE');
    });

    it('deletes the device and its code, revoking its certificates and returning their ids', async () => {
      const { device, certificate } = await activated();
      const pending = await declared();
      expect(await store().delete(WORKSPACE, device.id, at(5000))).toEqual([certificate.id]);
      expect(await store().delete(WORKSPACE, pending.id, at(5000))).toEqual([]);
      expect(await store().get(WORKSPACE, device.id)).toBeUndefined();
      expect(await store().findForActivation(pending.id)).toBeUndefined();
      expect(await store().findByThingName(device.thingName)).toBeUndefined();
      expect(await store().list(WORKSPACE)).toEqual([]);
      // The certificate outlives its device, revoked: its id stays taken.
      expect(await store().findCertificate(certificate.id)).toMatchObject({ status: 'REVOKED', revokedAt: at(5000) });
      expect(await store().delete(WORKSPACE, device.id, at(6000))).toEqual([]);
    });
  });

  describe(`${adapter}: directory entries`, () => {
    it('are every thing and every active certificate, across workspaces', async () => {
      const kept = await activated();
      const revoked = await activated({ workspaceId: OTHER_WORKSPACE });
      const pending = await declared();
      const gone = await activated();
      await store().revoke(OTHER_WORKSPACE, revoked.device.id, at(5000));
      await store().delete(WORKSPACE, gone.device.id, at(5000));
      const { things, activeCertificates } = await store().directoryEntries();
      const thing = ({ thingName, workspaceId }: DeviceRecord) => ({ thingName, workspaceId });
      expect(things).toEqual(expect.arrayContaining([thing(kept.device), thing(revoked.device), thing(pending)]));
      expect(things).toHaveLength(3);
      const { id, thingName, workspaceId, notAfter } = kept.certificate;
      expect(activeCertificates).toEqual([{ id, thingName, workspaceId, notAfter }]);
    });
  });
}
