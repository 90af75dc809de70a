import { connect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { DeviceFiles } from '@citus/device-agent';
import type { ActivatedDevice, TestPlatform } from './test-platform.js';

/** An activated device as the agent would keep it on disk. */
export function deviceFiles(activated: ActivatedDevice, platform: TestPlatform): DeviceFiles {
  return {
    state: {
      deviceId: activated.device.id,
      thingName: activated.device.thingName,
      apiUrl: platform.baseUrl,
      mqttEndpoint: '127.0.0.1',
      mqttPort: platform.mqttPort,
      certificateId: activated.activation.certificateId,
      activatedAt: new Date().toISOString(),
    },
    privateKeyPem: activated.privateKeyPem,
    certificatePem: activated.activation.certificatePem,
    caCertificatePem: activated.activation.caCertificatePem,
  };
}

type DeviceCredentials = Pick<ActivatedDevice, 'privateKeyPem' | 'activation'> & { device: { thingName: string } };

/** MQTT 3.1.1 over mutual TLS with the device's credentials, client id = thing name, no reconnects. */
function mqttOptions(platform: TestPlatform, activated: DeviceCredentials, options: IClientOptions): [string, IClientOptions] {
  return [
    `mqtts://127.0.0.1:${platform.mqttPort}`,
    {
      clientId: activated.device.thingName,
      key: activated.privateKeyPem,
      cert: activated.activation.certificatePem,
      ca: activated.activation.caCertificatePem,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...options,
    },
  ];
}

/**
 * A plain `mqtt` client connecting as the device, returned before its CONNACK: listeners attached
 * at once see messages a persistent session delivers right after it.
 */
export function openMqtt(platform: TestPlatform, activated: DeviceCredentials, options: IClientOptions = {}): MqttClient {
  return connect(...mqttOptions(platform, activated, options));
}

/** A plain `mqtt` client connected as the device. */
export function connectMqtt(platform: TestPlatform, activated: DeviceCredentials, options: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(...mqttOptions(platform, activated, options));
}

/**
 * Tries to connect and resolves with why the hub refused: the CONNACK's error, or "closed" when
 * the TLS handshake was cut (with TLS 1.3 a refused client certificate shows only as a close).
 * Rejects if the hub accepts the connection.
 */
export function refusal(platform: TestPlatform, activated: DeviceCredentials, options: IClientOptions = {}): Promise<string> {
  const client = connect(...mqttOptions(platform, activated, options));
  return new Promise((resolve, reject) => {
    const finish = (outcome: () => void) => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
      outcome();
    };
    client.once('connect', () => finish(() => reject(new Error('the hub accepted the connection'))));
    client.once('error', (error) => finish(() => resolve(error.message)));
    client.once('close', () => finish(() => resolve('closed')));
  });
}

/** Resolves with the ms it took the server to close the connection; rejects after `within` ms. */
export function closedBy(client: MqttClient, within = 2_000): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve(0);
    const timer = setTimeout(() => reject(new Error(`connection still open after ${within} ms`)), within);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

export const reading = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ value: 412.5, unit: 'PPM', label: 'Leakage', temperature: 21.4, humidity: 44, ...extra });

/**
 * How the SDK reports a refused CONNECT: it rejects with a string, "Server rejected connection."
 * when it read the CONNACK, or a protocol error when the hub's close came first.
 */
export const SDK_REFUSED = /rejected|protocol error/i;
