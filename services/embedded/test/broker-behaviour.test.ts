import { connect as tlsConnect } from 'node:tls';
import type { IConnackPacket } from 'mqtt';
import { generate } from 'mqtt-packet';
import { iot, mqtt5 } from 'aws-iot-device-sdk-v2';
import type { Device } from '@citus/contracts';
import { connectMqtt, closedBy, openMqtt } from './support/devices.js';
import { Api, ADMIN_PASSWORD, bootTestPlatform, declareAndActivate, type ActivatedDevice, type TestPlatform } from './support/test-platform.js';
import { eventually } from './support/eventually.js';

/** Resolves with the first message on `topic`, or rejects after `within` ms. */
function nextMessage(client: import('mqtt').MqttClient, topic: string, within = 3_000): Promise<{ payload: string; retain: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${topic} within ${within} ms`)), within);
    client.on('message', (received, payload, packet) => {
      if (received !== topic) return;
      clearTimeout(timer);
      resolve({ payload: payload.toString(), retain: packet.retain });
    });
  });
}

async function connectivityOf(api: Api, device: ActivatedDevice): Promise<Device['connectivity']> {
  const response = await api.get<Device>(`/api/v1/devices/${device.device.id}`);
  return response.body.connectivity;
}

// What a device relies on from the broker besides the AWS IoT services: MQTT 5, retained
// messages, last will, keep-alive, and connectivity in the registry.
describe('broker behaviour a device relies on', () => {
  let platform: TestPlatform;
  let api: Api;
  let device: ActivatedDevice;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    api = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    device = await declareAndActivate(api, 'Behaviour sensor');
  });
  afterAll(() => platform.destroy());

  it('accepts MQTT 5 from MQTT.js: telemetry is acknowledged, a denied publish gets reason 0x87 and keeps the session', async () => {
    const client = await connectMqtt(platform, device, { protocolVersion: 5 });
    try {
      await client.publishAsync(`telemetry/${device.device.thingName}`, JSON.stringify({ value: 5 }), { qos: 1 });
      const denied = await client.publishAsync('telemetry/someone-else', JSON.stringify({ value: 1 }), { qos: 1 }).then(
        () => 0,
        (error: { code?: number }) => error.code,
      );
      expect(denied).toBe(0x87);
      expect(client.connected).toBe(true);
    } finally {
      await client.endAsync();
    }
  });

  it('accepts the SDK MQTT 5 client over mutual TLS', async () => {
    const config = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(
      '127.0.0.1',
      device.activation.certificatePem,
      device.privateKeyPem,
    )
      .withCertificateAuthority(device.activation.caCertificatePem)
      .withPort(platform.mqttPort)
      .withConnectProperties({ clientId: device.device.thingName, keepAliveIntervalSeconds: 30 })
      .build();
    const client = new mqtt5.Mqtt5Client(config);
    const connected = new Promise<mqtt5.ConnectionSuccessEvent>((resolve, reject) => {
      client.once('connectionSuccess', resolve);
      client.once('connectionFailure', (event) => reject(event.error));
    });
    client.start();
    try {
      const success = await connected;
      expect(success.connack.reasonCode).toBe(mqtt5.ConnectReasonCode.Success);
      const puback = await client.publish({
        topicName: `telemetry/${device.device.thingName}`,
        qos: mqtt5.QoS.AtLeastOnce,
        payload: JSON.stringify({ value: 7 }),
      });
      expect((puback as mqtt5.PublishCompletionResult & { reasonCode?: number })?.reasonCode ?? 0).toBe(0);
    } finally {
      const stopped = new Promise((resolve) => client.once('stopped', resolve));
      client.stop();
      await stopped;
      client.close();
    }
  });

  it("keeps an MQTT 5 session across a reconnect, its expiry capped at AWS IoT's hour", async () => {
    const thing = device.device.thingName;
    const delta = `$aws/things/${thing}/shadow/update/delta`;
    const session = { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 86_400 } };
    const first = openMqtt(platform, device, session);
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      first.once('connect', resolve);
      first.once('error', reject);
    });
    expect(connack.properties?.sessionExpiryInterval).toBe(3_600);
    await first.subscribeAsync(delta, { qos: 1 });
    await first.endAsync();
    // Sent while the device is away: the session keeps it.
    expect((await api.post(`/api/v1/things/${thing}/shadow`, { state: { desired: { fan: 'high' } } })).status).toBe(200);
    // Listening before the CONNACK: the queued message may come in the same read as it.
    const again = openMqtt(platform, device, session);
    try {
      const message = nextMessage(again, delta);
      expect(JSON.parse((await message).payload)).toMatchObject({ state: { fan: 'high' } });
    } finally {
      await again.endAsync();
    }
  });

  it('keeps a retained message for the next subscriber', async () => {
    const topic = `things/${device.device.thingName}/status`;
    const publisher = await connectMqtt(platform, device);
    await publisher.publishAsync(topic, 'online', { qos: 1, retain: true });
    await publisher.endAsync();
    const subscriber = await connectMqtt(platform, device);
    try {
      const message = nextMessage(subscriber, topic);
      await subscriber.subscribeAsync(topic, { qos: 1 });
      expect(await message).toEqual({ payload: 'online', retain: true });
    } finally {
      await subscriber.endAsync();
    }
  });

  it('publishes the last will when a device drops without DISCONNECT, and not when it disconnects cleanly', async () => {
    const topic = `things/${device.device.thingName}/presence`;
    const will = { topic, payload: Buffer.from('lost'), qos: 1 as const, retain: true };
    const clean = await connectMqtt(platform, device, { will: { ...will, payload: Buffer.from('clean') } });
    await clean.endAsync();
    const dropped = await connectMqtt(platform, device, { will });
    dropped.stream.destroy();
    await closedBy(dropped);
    const reader = await connectMqtt(platform, device);
    try {
      const message = nextMessage(reader, topic);
      await reader.subscribeAsync(topic, { qos: 1 });
      expect((await message).payload).toBe('lost');
    } finally {
      await reader.endAsync();
    }
  });

  it('refuses a will on a topic the device may not publish to', async () => {
    const client = connectMqtt(platform, device, { will: { topic: 'telemetry/other-thing', payload: Buffer.from('x'), qos: 0, retain: false } });
    await expect(client).rejects.toThrow(/not authorized|Not authorized|refused/i);
  });

  it('closes a connection whose keep-alive lapses and reports why in the registry', async () => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: platform.mqttPort,
      key: device.privateKeyPem,
      cert: device.activation.certificatePem,
      ca: device.activation.caCertificatePem,
      servername: 'localhost',
    });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => {
      const started = Date.now();
      socket.once('close', () => resolve(Date.now() - started));
    });
    socket.on('error', () => undefined);
    socket.resume();
    socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: device.device.thingName, keepalive: 1 }));
    // [MQTT-3.1.2-24] the server closes after one and a half keep-alive periods without a packet.
    expect(await closed).toBeLessThan(4_000);
    const connectivity = await eventually(() => connectivityOf(api, device), (value) => value?.disconnectReason === 'MQTT_KEEP_ALIVE_TIMEOUT');
    expect(connectivity).toMatchObject({ connected: false, disconnectReason: 'MQTT_KEEP_ALIVE_TIMEOUT' });
  });

  it('shows a connected device as connected, and why it left once it has', async () => {
    const client = await connectMqtt(platform, device);
    const online = await eventually(() => connectivityOf(api, device), (value) => value?.connected === true);
    expect(online).toMatchObject({ connected: true });
    expect(online?.timestamp).toBeGreaterThan(Date.now() - 60_000);
    await client.endAsync();
    const offline = await eventually(() => connectivityOf(api, device), (value) => value?.connected === false);
    expect(offline).toMatchObject({ connected: false, disconnectReason: 'CLIENT_INITIATED_DISCONNECT' });
  });

  it('reports a device never connected as not connected', async () => {
    const fresh = await declareAndActivate(api, 'Never connected');
    expect(await connectivityOf(api, fresh)).toEqual({ connected: false });
  });
});
