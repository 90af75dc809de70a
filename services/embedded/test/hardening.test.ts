import { connect as tlsConnect } from 'node:tls';
import type { DeclaredDevice, TelemetryPage } from '@citus/contracts';
import { createKeyAndCsr } from '@citus/pki';
import { closedBy, connectMqtt, reading } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';

// Findings of the first security review, each shown fixed against the running platform.
describe('hardening', () => {
  let platform: TestPlatform;
  let api: Api;
  let device: ActivatedDevice;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    device = await declareAndActivate(api, 'Hardening sensor');
  });
  afterAll(() => platform.destroy());

  const stored = async (thingName: string) =>
    (await api.get<TelemetryPage>(`/api/v1/telemetry?thingName=${thingName}&limit=1000`)).body.items;
  const deadLetters = async (thingName: string) =>
    (await api.get<{ count: number }>(`/api/v1/telemetry/dead-letters?thingName=${thingName}`)).body.count;

  it('a revoked device\'s pending activation code no longer works', async () => {
    const declared = (await api.post<DeclaredDevice>('/api/v1/devices', { name: 'Never activated' })).body;
    expect((await api.post(`/api/v1/devices/${declared.id}/revoke`)).status).toBe(200);
    const { csrPem } = await createKeyAndCsr('x');
    const late = await new Api(platform.baseUrl).post(`/api/v1/devices/${declared.id}/activation`, {
      activationCode: declared.activationCode,
      csr: csrPem,
    });
    expect(late.status).toBe(403);
  });

  it('cuts a connection whose packet announces more than the limit, before it is sent', async () => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: platform.mqttPort,
      ca: device.activation.caCertificatePem,
      key: device.privateKeyPem,
      cert: device.activation.certificatePem,
      servername: 'localhost',
    });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    // A CONNECT fixed header announcing 200 MB (remaining length as a 4-byte variable integer).
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0xe8, 0x5f]));
    let sent = 5;
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 16 && !socket.destroyed; i++) {
      socket.write(chunk);
      sent += chunk.length;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await closed;
    expect(sent).toBeLessThan(1024 * 1024 + 5);
  });

  it('accepts a payload of exactly 128 KiB', async () => {
    const base = reading({ pad: '' });
    const payload = reading({ pad: 'x'.repeat(128 * 1024 - base.length) });
    expect(Buffer.byteLength(payload)).toBe(128 * 1024);
    const before = (await stored(device.device.thingName)).length;
    const client = await connectMqtt(platform, device);
    await client.publishAsync(`telemetry/${device.device.thingName}`, payload, { qos: 1 });
    await client.endAsync();
    expect(await stored(device.device.thingName)).toHaveLength(before + 1);
  });

  it('dead-letters a payload nested deeper than 32 levels', async () => {
    const before = await deadLetters(device.device.thingName);
    const client = await connectMqtt(platform, device);
    const deep = `{"value":1,"x":${'['.repeat(1000)}${']'.repeat(1000)}}`;
    await client.publishAsync(`telemetry/${device.device.thingName}`, deep, { qos: 1 });
    await client.endAsync();
    expect(await deadLetters(device.device.thingName)).toBe(before + 1);
    expect((await api.get(`/api/v1/telemetry?thingName=${device.device.thingName}`)).status).toBe(200);
  });

  it('stores no will message of a device whose certificate was revoked', async () => {
    const revokedDevice = await declareAndActivate(api, 'Will sensor');
    const topic = `telemetry/${revokedDevice.device.thingName}`;
    const client = await connectMqtt(platform, revokedDevice, { will: { topic, payload: Buffer.from(reading()), qos: 1, retain: false } });
    const closed = closedBy(client);
    await api.post(`/api/v1/devices/${revokedDevice.device.id}/revoke`);
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await stored(revokedDevice.device.thingName)).toHaveLength(0);
  });

  it('refuses a malformed workspace header with 400', async () => {
    expect((await api.inWorkspace('Not A Slug!').get('/api/v1/devices')).status).toBe(400);
  });

  it('slows down password guessing per username and per client', async () => {
    const guarded = await bootTestPlatform();
    try {
      const anonymous = new Api(guarded.baseUrl);
      for (let i = 0; i < 10; i++) {
        expect((await anonymous.post('/api/v1/auth/token', { username: 'admin', password: `guess-${i}-xxxx` })).status).toBe(401);
      }
      const blocked = await anonymous.post<{ error: { code: string } }>('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD });
      expect(blocked.status).toBe(429);
      expect(blocked.body.error.code).toBe('too_many_requests');
    } finally {
      await guarded.destroy();
    }
  });
});
