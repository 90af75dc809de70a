import { join } from 'node:path';
import { iotidentity, mqtt } from 'aws-iot-device-sdk-v2';
import type { IssuedClaimCertificate, ProvisioningRejection } from '@citus/contracts';
import { createConnection, type DeviceFiles } from '@citus/device-agent';
import { createKeyAndCsr } from '@citus/pki';
import { openDatabase } from '@citus/sqlite';
import { closedBy, connectMqtt, refusal, SDK_REFUSED } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, type TestPlatform } from './support/test-platform.js';
import { SdkReplies, type Reply } from './support/sdk-replies.js';

const QOS = mqtt.QoS.AtLeastOnce;
const TEMPLATE = 'factory';
const CLAIM_CLIENT = 'factory-line-1';

/** Credentials as firmware keeps them, for the SDK's connection builder. */
function files(platform: TestPlatform, certificatePem: string, privateKeyPem: string, clientId: string): DeviceFiles {
  return {
    state: {
      deviceId: 'none',
      thingName: clientId,
      apiUrl: platform.baseUrl,
      mqttEndpoint: '127.0.0.1',
      mqttPort: platform.mqttPort,
      certificateId: 'none',
      activatedAt: new Date().toISOString(),
    },
    privateKeyPem,
    certificatePem,
    caCertificatePem: platform.caPem,
  };
}

/** The credentials shape `support/devices.ts` takes for plain MQTT.js connections. */
const mqttCredentials = (platform: TestPlatform, certificatePem: string, privateKeyPem: string, clientId: string): Parameters<typeof connectMqtt>[1] => ({
  privateKeyPem,
  activation: { certificatePem, caCertificatePem: platform.caPem, thingName: clientId, certificateId: '', mqttEndpoint: '127.0.0.1', mqttPort: platform.mqttPort },
  device: { thingName: clientId },
});

// Issue 3 points 3, 7 and 8 for fleet provisioning: the official AWS IoT Device SDK v2's
// IotIdentityClient, over MQTT 3.1.1 mutual TLS with a claim certificate, runs fleet provisioning
// by claim against the hub as it would against AWS IoT Core.
describe('fleet provisioning conformance with the AWS IoT Device SDK v2 (iotidentity)', () => {
  let platform: TestPlatform;
  let admin: Api;
  let claim: IssuedClaimCertificate;
  let connection: mqtt.MqttClientConnection;
  let identity: iotidentity.IotIdentityClient;
  const replies = new SdkReplies();

  /** Sends a request through the SDK and answers the next reply on `{operation}/accepted` or `/rejected`. */
  async function call(operation: 'keys' | 'csr' | 'register', send: () => Promise<unknown>): Promise<{ accepted?: Reply; rejected?: ProvisioningRejection }> {
    const [accepted, rejected] = [replies.count(`${operation}/accepted`), replies.count(`${operation}/rejected`)];
    await send();
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      if (replies.count(`${operation}/accepted`) > accepted) return { accepted: await replies.nth(`${operation}/accepted`, accepted) };
      if (replies.count(`${operation}/rejected`) > rejected) {
        return { rejected: (await replies.nth(`${operation}/rejected`, rejected)) as unknown as ProvisioningRejection };
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no reply to ${operation}`);
  }

  const createKeys = () => call('keys', () => identity.publishCreateKeysAndCertificate({}, QOS));
  const createFromCsr = (certificateSigningRequest: string) =>
    call('csr', () => identity.publishCreateCertificateFromCsr({ certificateSigningRequest }, QOS));
  const register = (certificateOwnershipToken: string, parameters?: Record<string, string>) =>
    call('register', () => identity.publishRegisterThing({ templateName: TEMPLATE, certificateOwnershipToken, parameters }, QOS));

  beforeAll(async () => {
    platform = await bootTestPlatform();
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const template = await admin.post('/api/v1/provisioning-templates', {
      name: TEMPLATE,
      thingNamePrefix: 'sdk-',
      parameters: { Region: { default: 'eu' } },
      deviceConfiguration: { telemetryTopic: 'telemetry/sdk-{{SerialNumber}}', region: '{{Region}}' },
    });
    expect(template.status).toBe(201);
    claim = (await admin.post<IssuedClaimCertificate>(`/api/v1/provisioning-templates/${TEMPLATE}/claim-certificates`)).body;
    connection = createConnection(files(platform, claim.certificatePem, claim.privateKey, CLAIM_CLIENT));
    await connection.connect();
    identity = new iotidentity.IotIdentityClient(connection);
    await Promise.all([
      identity.subscribeToCreateKeysAndCertificateAccepted({}, QOS, replies.handler('keys/accepted')),
      identity.subscribeToCreateKeysAndCertificateRejected({}, QOS, replies.handler('keys/rejected')),
      identity.subscribeToCreateCertificateFromCsrAccepted({}, QOS, replies.handler('csr/accepted')),
      identity.subscribeToCreateCertificateFromCsrRejected({}, QOS, replies.handler('csr/rejected')),
      identity.subscribeToRegisterThingAccepted({ templateName: TEMPLATE }, QOS, replies.handler('register/accepted')),
      identity.subscribeToRegisterThingRejected({ templateName: TEMPLATE }, QOS, replies.handler('register/rejected')),
    ]);
  });
  afterAll(async () => {
    await connection?.disconnect();
    await platform?.destroy();
  });

  it('CreateKeysAndCertificate, then RegisterThing; the new device connects with its certificate', async () => {
    const { accepted: created } = await createKeys();
    expect(Object.keys(created ?? {}).sort()).toEqual(['certificateId', 'certificateOwnershipToken', 'certificatePem', 'privateKey']);
    const { certificatePem, privateKey, certificateOwnershipToken } = created as Record<string, string>;

    // PENDING_ACTIVATION: not yet registered, so it cannot connect, whatever client id it tries.
    const pending = createConnection(files(platform, certificatePem as string, privateKey as string, 'sdk-K1'));
    await expect(pending.connect()).rejects.toMatch(SDK_REFUSED);

    const { accepted: registered } = await register(certificateOwnershipToken as string, { SerialNumber: 'K1' });
    expect(registered).toEqual({ thingName: 'sdk-K1', deviceConfiguration: { telemetryTopic: 'telemetry/sdk-K1', region: 'eu' } });

    const device = createConnection(files(platform, certificatePem as string, privateKey as string, 'sdk-K1'));
    await device.connect();
    await device.publish('telemetry/sdk-K1', JSON.stringify({ value: 1 }), QOS);
    await device.disconnect();
    const devices = await admin.get<{ items: { thingName: string; status: string; certificateId: string }[] }>('/api/v1/devices');
    expect(devices.body.items.find((item) => item.thingName === 'sdk-K1')).toMatchObject({ status: 'active', certificateId: created?.certificateId });
    const telemetry = await admin.get<{ items: unknown[] }>('/api/v1/telemetry?thingName=sdk-K1');
    expect(telemetry.body.items).toHaveLength(1);
  });

  it('CreateCertificateFromCsr (the key stays on the device), then RegisterThing', async () => {
    const { privateKeyPem, csrPem } = await createKeyAndCsr('ignored');
    const { accepted: created } = await createFromCsr(csrPem);
    expect(Object.keys(created ?? {}).sort()).toEqual(['certificateId', 'certificateOwnershipToken', 'certificatePem']);
    const { accepted: registered } = await register(created?.certificateOwnershipToken as string, { SerialNumber: 'C1', Region: 'us' });
    expect(registered).toEqual({ thingName: 'sdk-C1', deviceConfiguration: { telemetryTopic: 'telemetry/sdk-C1', region: 'us' } });
    const device = createConnection(files(platform, created?.certificatePem as string, privateKeyPem, 'sdk-C1'));
    await device.connect();
    await device.disconnect();
  });

  describe('every rejection', () => {
    it('an invalid CSR', async () => {
      const { rejected } = await createFromCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----');
      expect(rejected).toEqual({ statusCode: 400, errorCode: 'InvalidPayload', errorMessage: expect.stringContaining('csr') });
    });

    it('an unknown, an empty and a used token', async () => {
      expect((await register('not-a-token', { SerialNumber: 'X1' })).rejected).toMatchObject({ statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken' });
      expect((await register('', { SerialNumber: 'X1' })).rejected).toEqual({
        statusCode: 400,
        errorCode: 'InvalidCertificateOwnershipToken',
        errorMessage: 'Certificate ownership token cannot be empty.',
      });
      const token = (await createKeys()).accepted?.certificateOwnershipToken as string;
      expect((await register(token, { SerialNumber: 'U1' })).accepted).toMatchObject({ thingName: 'sdk-U1' });
      expect((await register(token, { SerialNumber: 'U2' })).rejected).toEqual({
        statusCode: 400,
        errorCode: 'InvalidCertificateOwnershipToken',
        errorMessage: 'the certificate ownership token has already been used',
      });
    });

    it('missing or invalid parameters, and a thing name that is taken', async () => {
      const token = (await createKeys()).accepted?.certificateOwnershipToken as string;
      expect((await register(token)).rejected).toMatchObject({ statusCode: 400, errorCode: 'InvalidParameters', errorMessage: expect.stringContaining('SerialNumber') });
      expect((await register(token, { SerialNumber: 'not/valid' })).rejected).toMatchObject({ statusCode: 400, errorCode: 'InvalidParameters' });
      expect((await register(token, { SerialNumber: 'K1' })).rejected).toMatchObject({ statusCode: 409, errorCode: 'ResourceAlreadyExists' });
      // None of these used the token up.
      expect((await register(token, { SerialNumber: 'P1' })).accepted).toMatchObject({ thingName: 'sdk-P1' });
    });

    it('a token older than an hour', async () => {
      const token = (await createKeys()).accepted?.certificateOwnershipToken as string;
      // The platform's clock cannot be moved from here, so the token is aged in its store instead.
      const db = openDatabase(join(platform.dataDir, 'provisioning.db'), { module: 'provisioning-test-reader', migrations: [] });
      const hourAgo = new Date(Date.now() - 3_600_001).toISOString();
      db.prepare('UPDATE pending_certificates SET created_at = ?, expires_at = ? WHERE used_at IS NULL').run(hourAgo, new Date(Date.now() - 1).toISOString());
      db.close();
      expect((await register(token, { SerialNumber: 'OLD1' })).rejected).toMatchObject({
        statusCode: 400,
        errorCode: 'InvalidCertificateOwnershipToken',
        errorMessage: expect.stringContaining('expired'),
      });
    });
  });

  describe('what a claim certificate may not do', () => {
    const claimClient = (clientId: string) => mqttCredentials(platform, claim.certificatePem, claim.privateKey, clientId);

    it('publish telemetry, touch shadows, or use another template', async () => {
      // The control: its own provisioning topics are acknowledged and the connection stays.
      const allowed = await connectMqtt(platform, claimClient('claim-control'));
      await allowed.publishAsync('$aws/certificates/create/json', '', { qos: 1 });
      expect(allowed.connected).toBe(true);
      await allowed.endAsync();
      for (const topic of ['telemetry/sdk-K1', '$aws/things/sdk-K1/shadow/update', '$aws/provisioning-templates/other/provision/json']) {
        const client = await connectMqtt(platform, claimClient(`claim-probe-${topic.length}`));
        const closed = closedBy(client);
        client.publish(topic, JSON.stringify({ state: { reported: { hacked: true } } }), { qos: 1 });
        expect(await closed).toBeLessThan(2_000);
        client.end(true);
      }
      const telemetry = await admin.get<{ items: unknown[] }>('/api/v1/telemetry?thingName=sdk-K1');
      expect(telemetry.body.items).toHaveLength(1);
    });

    it('subscribe to a shadow', async () => {
      const client = await connectMqtt(platform, claimClient('claim-subscriber'));
      const closed = closedBy(client);
      client.subscribe('$aws/things/sdk-K1/shadow/update/accepted', { qos: 1 });
      expect(await closed).toBeLessThan(2_000);
      client.end(true);
    });

    it("connect with a registered thing's name", async () => {
      expect(await refusal(platform, claimClient('sdk-K1'))).toMatch(/not authorized|identifier|closed/i);
    });

    it('connect once revoked', async () => {
      const extra = (await admin.post<IssuedClaimCertificate>(`/api/v1/provisioning-templates/${TEMPLATE}/claim-certificates`)).body;
      const credentials = mqttCredentials(platform, extra.certificatePem, extra.privateKey, 'claim-revoked');
      const client = await connectMqtt(platform, credentials);
      await client.endAsync();
      expect((await admin.post(`/api/v1/provisioning-templates/${TEMPLATE}/claim-certificates/${extra.certificateId}/revoke`)).status).toBe(200);
      expect(await refusal(platform, credentials)).toMatch(/not authorized|closed/i);
    });
  });
});
