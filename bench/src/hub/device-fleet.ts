import { performance } from 'node:perf_hooks';
import { mapLimit } from '../support/async.js';
import type { DeviceCredentials } from '../support/platform-devices.js';
import { TlsMqttClient } from './tls-mqtt-client.js';

export interface FleetTarget {
  mqttPort: number;
  caPem: string;
}

export interface ConnectedFleet {
  clients: TlsMqttClient[];
  /** Wall time to connect them all (TLS handshake, CONNECT, CONNACK). */
  seconds: number;
}

const CONNECT_CONCURRENCY = 32;

function credentialsOf(device: DeviceCredentials): { privateKeyPem: string; certificatePem: string } {
  if (!device.privateKeyPem || !device.certificatePem) throw new Error(`${device.clientId} has no key and certificate`);
  return { privateKeyPem: device.privateKeyPem, certificatePem: device.certificatePem };
}

/** Connects every device over mutual TLS, a few at a time; the first failure fails them all. */
export async function connectFleet(target: FleetTarget, devices: DeviceCredentials[], concurrency = CONNECT_CONCURRENCY): Promise<ConnectedFleet> {
  const startedAt = performance.now();
  const clients: TlsMqttClient[] = [];
  try {
    await mapLimit(devices, concurrency, async (device) => {
      const client = await TlsMqttClient.connect({ port: target.mqttPort, caPem: target.caPem, clientId: device.clientId, ...credentialsOf(device) });
      clients.push(client);
    });
  } catch (error) {
    await closeFleet(clients);
    throw error;
  }
  // In the order of `devices`, so that callers can pair them by index.
  const byId = new Map(clients.map((client) => [client.clientId, client]));
  return { clients: devices.map((device) => byId.get(device.clientId) as TlsMqttClient), seconds: (performance.now() - startedAt) / 1000 };
}

export async function closeFleet(clients: TlsMqttClient[]): Promise<void> {
  await mapLimit(clients, 256, (client) => client.end());
}
