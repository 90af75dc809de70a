import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createKeyAndCsr } from '@citus/pki';
import { hashOwnershipToken, OWNERSHIP_TOKEN_TTL_MS } from '../src/domain/provisioning/provisioning.rules.js';
import { provisioningFixture, WORKSPACE, type ProvisioningFixture } from './support/provisioning-fixture.js';

const accepted = <T>(outcome: { accepted: T } | { rejected: unknown }): T => {
  if (!('accepted' in outcome)) throw new Error(`rejected: ${JSON.stringify(outcome.rejected)}`);
  return outcome.accepted;
};

describe('ProvisioningService', () => {
  let fixture: ProvisioningFixture;

  beforeEach(async () => {
    fixture = await provisioningFixture();
  });
  afterEach(() => fixture.close());

  it('creates keys and a certificate, PENDING until RegisterThing, then registers the thing', async () => {
    const { service, claim, registrar, repository } = fixture;
    const created = accepted(await service.createKeysAndCertificate(claim));
    expect(new X509Certificate(created.certificatePem).checkPrivateKey(createPrivateKey(created.privateKey))).toBe(true);
    expect(registrar.things.size).toBe(0);
    const stored = repository.findPendingByTokenHash(hashOwnershipToken(created.certificateOwnershipToken));
    expect(stored).toMatchObject({ certificateId: created.certificateId, usedAt: null });
    // The key is never stored: nothing in the database holds it.
    const dump = JSON.stringify(fixture.db.prepare('SELECT * FROM pending_certificates').all());
    expect(dump).not.toContain(created.privateKey.split('\n')[1]);
    expect(dump).not.toContain(created.certificateOwnershipToken);

    const registered = accepted(await service.registerThing(claim, 'sensors', { certificateOwnershipToken: created.certificateOwnershipToken, parameters: { SerialNumber: 'A1' } }));
    expect(registered).toEqual({ thingName: 'sensor-A1', deviceConfiguration: { site: 'lab', serial: 'A1' } });
    expect(registrar.things.get('sensor-A1')).toMatchObject({ workspaceId: WORKSPACE, certificateId: created.certificateId, certificatePem: created.certificatePem });
  });

  it('signs a CSR without ever seeing the key', async () => {
    const { csrPem } = await createKeyAndCsr('whatever-the-device-says');
    const created = accepted(await fixture.service.createCertificateFromCsr(fixture.claim, csrPem));
    expect(created).not.toHaveProperty('privateKey');
    // The subject is the platform's, never the CSR's.
    expect(new X509Certificate(created.certificatePem).subject).toBe('CN=Citus IoT provisioned device');
  });

  it('rejects an unusable CSR', async () => {
    const { csrPem } = await createKeyAndCsr('x');
    const tampered = csrPem.replace(/[A-Za-z](?=[^\n]*\n-----END)/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(await fixture.service.createCertificateFromCsr(fixture.claim, tampered)).toEqual({
      rejected: { statusCode: 400, errorCode: 'InvalidPayload', errorMessage: expect.any(String) },
    });
  });

  it('accepts a token for one hour, and only once', async () => {
    const { service, claim, clock } = fixture;
    const first = accepted(await service.createKeysAndCertificate(claim));
    const second = accepted(await service.createKeysAndCertificate(claim));
    clock.now += OWNERSHIP_TOKEN_TTL_MS - 1;
    accepted(await service.registerThing(claim, 'sensors', { certificateOwnershipToken: first.certificateOwnershipToken, parameters: { SerialNumber: 'A1' } }));
    expect(await service.registerThing(claim, 'sensors', { certificateOwnershipToken: first.certificateOwnershipToken, parameters: { SerialNumber: 'A2' } })).toEqual({
      rejected: { statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken', errorMessage: 'the certificate ownership token has already been used' },
    });
    clock.now += 1;
    expect(await service.registerThing(claim, 'sensors', { certificateOwnershipToken: second.certificateOwnershipToken, parameters: { SerialNumber: 'A3' } })).toMatchObject({
      rejected: { errorCode: 'InvalidCertificateOwnershipToken', errorMessage: expect.stringContaining('expired') },
    });
    expect(fixture.registrar.things.has('sensor-A3')).toBe(false);
  });

  it('rejects an unknown token, and a token of another claim workspace', async () => {
    const { service, claim } = fixture;
    const created = accepted(await service.createKeysAndCertificate(claim));
    const elsewhere = { ...claim, workspaceId: 'ws_other' };
    service.createTemplate('ws_other', { name: 'sensors', thingNamePrefix: '', thingNameParameter: 'SerialNumber', parameters: {}, deviceConfiguration: {}, enabled: true });
    for (const [who, token] of [[claim, 'made-up'], [elsewhere, created.certificateOwnershipToken]] as const) {
      expect(await service.registerThing(who, 'sensors', { certificateOwnershipToken: token, parameters: { SerialNumber: 'B1' } })).toMatchObject({
        rejected: { statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken', errorMessage: expect.stringContaining('unknown') },
      });
    }
  });

  it("rejects another template than the claim's, an unknown or disabled one", async () => {
    const { service, claim } = fixture;
    const token = accepted(await service.createKeysAndCertificate(claim)).certificateOwnershipToken;
    const request = { certificateOwnershipToken: token, parameters: { SerialNumber: 'C1' } };
    expect(await service.registerThing(claim, 'other', request)).toMatchObject({ rejected: { statusCode: 403, errorCode: 'AccessDenied' } });
    expect(await service.registerThing({ ...claim, templateName: 'gone' }, 'gone', request)).toMatchObject({ rejected: { statusCode: 404, errorCode: 'ResourceNotFound' } });
    service.createTemplate(WORKSPACE, { name: 'off', thingNamePrefix: '', thingNameParameter: 'SerialNumber', parameters: {}, deviceConfiguration: {}, enabled: false });
    expect(await service.registerThing({ ...claim, templateName: 'off' }, 'off', request)).toMatchObject({ rejected: { statusCode: 403, errorCode: 'AccessDenied' } });
    // None of these burnt the token.
    accepted(await service.registerThing(claim, 'sensors', request));
  });

  it('rejects missing or invalid parameters without burning the token', async () => {
    const { service, claim } = fixture;
    const token = accepted(await service.createKeysAndCertificate(claim)).certificateOwnershipToken;
    expect(await service.registerThing(claim, 'sensors', { certificateOwnershipToken: token })).toEqual({
      rejected: { statusCode: 400, errorCode: 'InvalidParameters', errorMessage: 'missing template parameter(s): SerialNumber' },
    });
    expect(await service.registerThing(claim, 'sensors', { certificateOwnershipToken: token, parameters: { SerialNumber: 'no spaces' } })).toMatchObject({
      rejected: { errorCode: 'InvalidParameters' },
    });
    accepted(await service.registerThing(claim, 'sensors', { certificateOwnershipToken: token, parameters: { SerialNumber: 'D1' } }));
  });

  it('rejects a thing name that is taken and gives the token back for another try', async () => {
    const { service, claim, registrar } = fixture;
    registrar.things.set('sensor-E1', {} as never);
    const token = accepted(await service.createKeysAndCertificate(claim)).certificateOwnershipToken;
    expect(await service.registerThing(claim, 'sensors', { certificateOwnershipToken: token, parameters: { SerialNumber: 'E1' } })).toEqual({
      rejected: { statusCode: 409, errorCode: 'ResourceAlreadyExists', errorMessage: 'a thing named sensor-E1 already exists' },
    });
    expect(accepted(await service.registerThing(claim, 'sensors', { certificateOwnershipToken: token, parameters: { SerialNumber: 'E2' } })).thingName).toBe('sensor-E2');
  });

  it('throttles a claim holding too many open certificates', async () => {
    fixture.close();
    fixture = await provisioningFixture({ maxOpenPerClaim: 2 });
    const { service, claim, clock } = fixture;
    accepted(await service.createKeysAndCertificate(claim));
    accepted(await service.createKeysAndCertificate(claim));
    expect(await service.createKeysAndCertificate(claim)).toMatchObject({ rejected: { statusCode: 429, errorCode: 'Throttling' } });
    clock.now += OWNERSHIP_TOKEN_TTL_MS;
    accepted(await service.createKeysAndCertificate(claim));
  });

  describe('claim certificates', () => {
    it('are known to the broker while active, and no longer once revoked or their template deleted', async () => {
      const { service, claim } = fixture;
      expect(service.claimCertificate(claim.certificateId)).toEqual({ workspaceId: WORKSPACE, templateName: 'sensors' });
      expect(service.claimCertificate('f'.repeat(64))).toBeUndefined();
      expect(() => service.revokeClaimCertificate('ws_other', 'sensors', claim.certificateId)).toThrow('claim certificate not found');
      expect(service.revokeClaimCertificate(WORKSPACE, 'sensors', claim.certificateId)).toMatchObject({ status: 'REVOKED', certificateId: claim.certificateId });
      expect(service.claimCertificate(claim.certificateId)).toBeUndefined();

      const another = await service.createClaimCertificate(WORKSPACE, 'sensors');
      expect(service.claimCertificate(another.certificateId)).toBeDefined();
      expect(service.deleteTemplate(WORKSPACE, 'sensors')).toEqual([another.certificateId]);
      expect(service.claimCertificate(another.certificateId)).toBeUndefined();
      await expect(service.createClaimCertificate(WORKSPACE, 'sensors')).rejects.toThrow('provisioning template not found');
    });

    it('expire with their certificate', () => {
      fixture.clock.now = Date.now() + 366 * 86_400_000;
      expect(fixture.service.claimCertificate(fixture.claim.certificateId)).toBeUndefined();
    });
  });

  it('keeps templates per workspace', () => {
    const { service } = fixture;
    expect(() => service.createTemplate(WORKSPACE, { name: 'sensors', thingNamePrefix: '', thingNameParameter: 'SerialNumber', parameters: {}, deviceConfiguration: {}, enabled: true })).toThrow('exists');
    expect(service.listTemplates(WORKSPACE).map((template) => template.name)).toEqual(['sensors']);
    expect(service.listTemplates('ws_other')).toEqual([]);
    expect(() => service.getTemplate('ws_other', 'sensors')).toThrow('provisioning template not found');
    expect(service.getTemplate(WORKSPACE, 'sensors')).not.toHaveProperty('workspaceId');
  });
});
