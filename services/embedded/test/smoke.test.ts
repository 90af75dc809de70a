import { connectAsync } from 'mqtt';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, type TestPlatform } from './support/test-platform.js';

describe('smoke', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await bootTestPlatform();
  });
  afterAll(() => platform.destroy());

  it('stores a telemetry message', async () => {
    const api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const { device, activation, privateKeyPem } = await declareAndActivate(api);
    const client = await connectAsync(`mqtts://127.0.0.1:${platform.mqttPort}`, {
      clientId: device.thingName,
      key: privateKeyPem,
      cert: activation.certificatePem,
      ca: activation.caCertificatePem,
      reconnectPeriod: 0,
    });
    await client.publishAsync(`telemetry/${device.thingName}`, JSON.stringify({ value: 1 }), { qos: 1 });
    await client.endAsync();
    const page = await api.get<{ items: unknown[] }>(`/api/v1/telemetry?thingName=${device.thingName}`);
    expect(page.body.items).toHaveLength(1);
  });
});
