import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from '@citus/device-agent';
import type { DeclaredDevice, Device, TelemetryPage } from '@citus/contracts';
import { createKeyAndCsr, EmbeddedCertificateAuthority } from '@citus/pki';
import { closedBy, connectMqtt, deviceFiles, reading, refusal, SDK_REFUSED } from './support/devices.js';
import {
  Api,
  ADMIN_PASSWORD,
  bootTestPlatform,
  declareAndActivate,
  type ActivatedDevice,
  type TestPlatform,
} from './support/test-platform.js';

// The rules of issue points 6-9, each shown broken and refused, on the real hub over real TLS.
describe('device rules', () => {
  let platform: TestPlatform;
  let api: Api;
  const anonymous = () => new Api(platform.baseUrl);

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
  });
  afterAll(() => platform.destroy());

  const declare = async (name = 'Rule sensor') => (await api.post<DeclaredDevice>('/api/v1/devices', { name })).body;
  const activation = async (device: DeclaredDevice, code: string) => {
    const { csrPem } = await createKeyAndCsr('anything');
    return anonymous().post<{ error: { code: string; message: string } }>(`/api/v1/devices/${device.id}/activation`, {
      activationCode: code,
      csr: csrPem,
    });
  };
  const deadLetterCount = async (thingName: string) =>
    (await api.get<{ count: number }>(`/api/v1/telemetry/dead-letters?thingName=${thingName}`)).body.count;
  const telemetryOf = async (thingName: string) =>
    (await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${thingName}&limit=1000`)).body.items;

  describe('activation codes', () => {
    it('refuses a wrong code and a reused one', async () => {
      const device = await declare();
      expect((await activation(device, 'AAAA-BBBB-CCCC-DDDD')).status).toBe(403);
      expect((await activation(device, device.activationCode)).status).toBe(200);
      const reused = await activation(device, device.activationCode);
      expect(reused.status).toBe(403);
      expect(reused.body.error.code).toBe('forbidden');
    });

    it('locks after five wrong tries, even against the right code', async () => {
      const device = await declare();
      for (let i = 0; i < 5; i++) expect((await activation(device, `WRNG-${i}AAA-AAAA-AAAA`)).status).toBe(403);
      const locked = await activation(device, device.activationCode);
      expect(locked.status).toBe(403);
      expect(locked.body.error.message).toMatch(/locked/);
      const renewed = await api.post<{ activationCode: string }>(`/api/v1/devices/${device.id}/activation-code`);
      expect((await activation(device, renewed.body.activationCode)).status).toBe(200);
    });

    it('refuses an expired code', async () => {
      const shortLived = await bootTestPlatform({ CITUS_ACTIVATION_TTL_HOURS: '0.0001' });
      try {
        const admin = await Api.login(shortLived.baseUrl, 'admin', ADMIN_PASSWORD);
        const device = (await admin.post<DeclaredDevice>('/api/v1/devices', { name: 'Slow' })).body;
        await new Promise((resolve) => setTimeout(resolve, 500));
        const { csrPem } = await createKeyAndCsr('x');
        const late = await new Api(shortLived.baseUrl).post<{ error: { message: string } }>(
          `/api/v1/devices/${device.id}/activation`,
          { activationCode: device.activationCode, csr: csrPem },
        );
        expect(late.status).toBe(403);
        expect(late.body.error.message).toMatch(/expired/);
      } finally {
        await shortLived.destroy();
      }
    });

    it('rejects a malformed CSR without using up the code', async () => {
      const device = await declare();
      const bad = await anonymous().post(`/api/v1/devices/${device.id}/activation`, {
        activationCode: device.activationCode,
        csr: '-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----',
      });
      expect(bad.status).toBe(400);
      expect((await activation(device, device.activationCode)).status).toBe(200);
    });

    it('never shows the code again after declaration', async () => {
      const device = await declare();
      const read = await api.get<Record<string, unknown>>(`/api/v1/devices/${device.id}`);
      expect(JSON.stringify(read.body)).not.toContain(device.activationCode);
      const list = await api.get('/api/v1/devices');
      expect(JSON.stringify(list.body)).not.toContain(device.activationCode);
    });
  });

  describe('certificates', () => {
    it('revocation closes the live session within a second and refuses reconnects', async () => {
      const activated = await declareAndActivate(api, 'Revoked sensor');
      const files = deviceFiles(activated, platform);
      const connection = createConnection(files);
      await connection.connect();
      const interrupted = new Promise<number>((resolve) => connection.on('interrupt', () => resolve(Date.now())));
      const revokedAt = Date.now();
      const revoked = await api.post<Device>(`/api/v1/devices/${activated.device.id}/revoke`);
      expect(revoked.body.status).toBe('revoked');
      expect((await interrupted) - revokedAt).toBeLessThan(1_000);
      await connection.disconnect().catch(() => undefined);

      await expect(createConnection(files).connect()).rejects.toMatch(SDK_REFUSED);
      expect(await refusal(platform, activated)).toMatch(/Not authorized/i);
    });

    it('refuses a certificate from another CA in the TLS handshake', async () => {
      const activated = await declareAndActivate(api, 'Impostor target');
      const dir = mkdtempSync(join(tmpdir(), 'citus-rogue-ca-'));
      try {
        const rogue = await EmbeddedCertificateAuthority.loadOrCreate(dir, 'Rogue CA');
        const { privateKeyPem, csrPem } = await createKeyAndCsr(activated.device.thingName);
        const forged = await rogue.signDeviceCsr(csrPem, activated.device.thingName);
        const impostor: ActivatedDevice = {
          ...activated,
          privateKeyPem,
          activation: { ...activated.activation, certificatePem: forged.certificatePem },
        };
        expect(await refusal(platform, impostor)).toMatch(/closed|certificate|alert|socket/i);
        await expect(createConnection(deviceFiles(impostor, platform)).connect()).rejects.toMatch(/fail|rejected/i);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses a client id that is not the thing name', async () => {
      const activated = await declareAndActivate(api, 'Misnamed sensor');
      expect(await refusal(platform, activated, { clientId: 'not-my-name' })).toMatch(/Identifier rejected/i);
    });
  });

  describe('what a connected device may do', () => {
    let device: ActivatedDevice;
    let other: ActivatedDevice;
    beforeAll(async () => {
      device = await declareAndActivate(api, 'Policy sensor');
      other = await declareAndActivate(api, 'Neighbour sensor');
    });

    it('may publish to its own topic and its own streams', async () => {
      const client = await connectMqtt(platform, device);
      await client.publishAsync(`telemetry/${device.device.thingName}`, reading(), { qos: 1 });
      await client.publishAsync(`telemetry/${device.device.thingName}/power`, reading({ unit: 'kWh' }), { qos: 1 });
      await client.endAsync();
      const topics = (await telemetryOf(device.device.thingName)).map((item) => item.topic).sort();
      expect(topics).toEqual([`telemetry/${device.device.thingName}`, `telemetry/${device.device.thingName}/power`]);
    });

    it.each([
      ['another device\'s topic', () => `telemetry/${other.device.thingName}`],
      ['a topic outside telemetry', () => 'commands/all'],
      ['a reserved topic', () => `$aws/things/${other.device.thingName}/shadow/update`],
    ])('is disconnected for publishing to %s, and nothing is stored', async (_label, topic) => {
      const ownBefore = (await telemetryOf(device.device.thingName)).length;
      const lettersBefore = await deadLetterCount(device.device.thingName);
      const client = await connectMqtt(platform, device);
      const closed = closedBy(client);
      client.publish(topic(), reading(), { qos: 1 });
      expect(await closed).toBeLessThan(2_000);
      client.end(true);
      expect(await telemetryOf(other.device.thingName)).toHaveLength(0);
      expect(await telemetryOf(device.device.thingName)).toHaveLength(ownBefore);
      expect(await deadLetterCount(device.device.thingName)).toBe(lettersBefore);
    });

    it('is disconnected for subscribing to another device\'s topic', async () => {
      const client = await connectMqtt(platform, device);
      const closed = closedBy(client);
      client.subscribe(`telemetry/${other.device.thingName}`, { qos: 1 });
      expect(await closed).toBeLessThan(2_000);
      client.end(true);
    });

    it('is disconnected for a payload over 128 KB, which is not stored', async () => {
      const before = (await telemetryOf(device.device.thingName)).length;
      const client = await connectMqtt(platform, device);
      const closed = closedBy(client);
      client.publish(`telemetry/${device.device.thingName}`, reading({ blob: 'x'.repeat(129 * 1024) }), { qos: 1 });
      expect(await closed).toBeLessThan(2_000);
      client.end(true);
      expect(await telemetryOf(device.device.thingName)).toHaveLength(before);
    });

    it('dead-letters invalid JSON and schema failures, stays connected, and stores none of them', async () => {
      const before = (await telemetryOf(device.device.thingName)).length;
      const client = await connectMqtt(platform, device);
      const topic = `telemetry/${device.device.thingName}`;
      await client.publishAsync(topic, '{"value": 1,', { qos: 1 });
      await client.publishAsync(topic, JSON.stringify({ value: 'high' }), { qos: 1 });
      await client.publishAsync(topic, JSON.stringify([1, 2, 3]), { qos: 1 });
      expect(client.connected).toBe(true);
      await client.publishAsync(topic, reading(), { qos: 1 });
      await client.endAsync();

      expect(await telemetryOf(device.device.thingName)).toHaveLength(before + 1);
      const letters = await api.get<{ count: number; recent: Array<{ reason: string }> }>(
        `/api/v1/telemetry/dead-letters?thingName=${device.device.thingName}`,
      );
      expect(letters.body.count).toBe(3);
      const reasons = letters.body.recent.map((letter) => letter.reason);
      expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/not valid JSON/), expect.stringMatching(/value/)]));
    });
  });
});
