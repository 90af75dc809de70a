import { connectAsync, type MqttClient } from 'mqtt';
import type { DeviceCredentials } from '../support/platform-devices.js';

/**
 * One simulated device's MQTT 3.1.1 session over TLS, with its client certificate when it has one.
 * No reconnect: a lost connection must show in the figures, not be papered over.
 */
export function connectDevice(mqttPort: number, caPem: string, credentials: DeviceCredentials): Promise<MqttClient> {
  return connectAsync(`mqtts://127.0.0.1:${mqttPort}`, {
    clientId: credentials.clientId,
    key: credentials.privateKeyPem,
    cert: credentials.certificatePem,
    ca: caPem,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
}
