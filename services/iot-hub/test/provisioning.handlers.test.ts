import { createLogger } from '@citus/kit';
import { createKeyAndCsr } from '@citus/pki';
import { ReservedTopicRouter } from '../src/app/reserved-topic.router.js';
import { provisioningHandlers } from '../src/adapters/mqtt/provisioning.handlers.js';
import type { Requester } from '../src/domain/device-session.model.js';
import { provisioningFixture, RecordingPublisher, WORKSPACE, type ProvisioningFixture } from './support/provisioning-fixture.js';

describe('provisioning handlers', () => {
  let fixture: ProvisioningFixture;
  let publisher: RecordingPublisher;
  let router: ReservedTopicRouter;
  let session: Requester;

  /** Sends a request as the broker would, and answers the one reply it got. */
  async function request(topic: string, payload: string | object, from: Requester = session) {
    const route = router.match(topic);
    if (!route) throw new Error(`no handler for ${topic}`);
    const bytes = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const before = publisher.sent.length;
    await route.handler.handle({ session: from, topic, params: route.params, payload: bytes });
    expect(publisher.sent.length).toBe(before + 1);
    return publisher.sent.at(-1) as { topic: string; payload: Record<string, unknown>; requester?: string; requesterOnly?: boolean };
  }

  beforeEach(async () => {
    fixture = await provisioningFixture();
    publisher = new RecordingPublisher();
    router = new ReservedTopicRouter().register(...provisioningHandlers(fixture.service, publisher, createLogger({ level: 'silent' })));
    session = { clientId: 'factory-line-3', workspaceId: WORKSPACE, certificateId: fixture.claim.certificateId, claim: { templateName: 'sensors' } };
  });
  afterEach(() => fixture.close());

  it('answers the whole flow on /accepted, to the requester alone', async () => {
    for (const payload of ['', '{}']) {
      const created = await request('$aws/certificates/create/json', payload);
      expect(created).toMatchObject({ topic: '$aws/certificates/create/json/accepted', requester: 'factory-line-3', requesterOnly: true });
      expect(Object.keys(created.payload).sort()).toEqual(['certificateId', 'certificateOwnershipToken', 'certificatePem', 'privateKey']);
    }
    const { csrPem } = await createKeyAndCsr('device');
    const fromCsr = await request('$aws/certificates/create-from-csr/json', { certificateSigningRequest: csrPem });
    expect(fromCsr).toMatchObject({ topic: '$aws/certificates/create-from-csr/json/accepted', requesterOnly: true });
    const registered = await request('$aws/provisioning-templates/sensors/provision/json', {
      certificateOwnershipToken: fromCsr.payload.certificateOwnershipToken,
      parameters: { SerialNumber: 'S-1' },
    });
    expect(registered).toEqual({
      topic: '$aws/provisioning-templates/sensors/provision/json/accepted',
      payload: { thingName: 'sensor-S-1', deviceConfiguration: { site: 'lab', serial: 'S-1' } },
      requester: 'factory-line-3',
      requesterOnly: true,
    });
  });

  it.each([
    ['$aws/certificates/create/json', '{not json', 'InvalidPayload'],
    ['$aws/certificates/create/json', '[1]', 'InvalidPayload'],
    ['$aws/certificates/create-from-csr/json', '{}', 'InvalidPayload'],
    ['$aws/certificates/create-from-csr/json', JSON.stringify({ certificateSigningRequest: 42 }), 'InvalidPayload'],
    ['$aws/certificates/create-from-csr/json', JSON.stringify({ certificateSigningRequest: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----' }), 'InvalidPayload'],
    ['$aws/provisioning-templates/sensors/provision/json', '{}', 'InvalidCertificateOwnershipToken'],
    ['$aws/provisioning-templates/sensors/provision/json', JSON.stringify({ certificateOwnershipToken: 7 }), 'InvalidPayload'],
    ['$aws/provisioning-templates/sensors/provision/json', JSON.stringify({ certificateOwnershipToken: 't', parameters: { SerialNumber: 5 } }), 'InvalidPayload'],
    ['$aws/provisioning-templates/sensors/provision/json', JSON.stringify({ certificateOwnershipToken: 'unknown' }), 'InvalidCertificateOwnershipToken'],
    ['$aws/provisioning-templates/other/provision/json', JSON.stringify({ certificateOwnershipToken: 't' }), 'AccessDenied'],
    ['$aws/certificates/create/cbor', '', 'UnsupportedPayloadFormat'],
    ['$aws/provisioning-templates/sensors/provision/cbor', '', 'UnsupportedPayloadFormat'],
  ])('%s with %s is rejected with %s on /rejected', async (topic, payload, errorCode) => {
    const reply = await request(topic, payload);
    expect(reply.topic).toBe(`${topic}/rejected`);
    expect(reply.requesterOnly).toBe(true);
    expect(reply.payload).toEqual({ statusCode: expect.any(Number), errorCode, errorMessage: expect.any(String) });
  });

  it('refuses a device session and a revoked claim', async () => {
    const device: Requester = { clientId: 'thing-1', workspaceId: WORKSPACE, certificateId: 'b'.repeat(64), thingName: 'thing-1' };
    expect((await request('$aws/certificates/create/json', '', device)).payload).toMatchObject({ statusCode: 403, errorCode: 'AccessDenied' });
    fixture.service.revokeClaimCertificate(WORKSPACE, 'sensors', fixture.claim.certificateId);
    expect((await request('$aws/certificates/create/json', '')).payload).toMatchObject({ statusCode: 403, errorCode: 'AccessDenied' });
  });

  it('answers a fault of the hub with InternalError instead of silence', async () => {
    fixture.db.close();
    expect((await request('$aws/certificates/create/json', '')).payload).toEqual({ statusCode: 500, errorCode: 'InternalError', errorMessage: 'internal error' });
  });
});
