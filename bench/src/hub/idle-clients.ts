// A child of `pnpm bench hub` that holds a share of the idle TLS devices: the parent sends
// `{port, caPem, devices}`, this connects them and answers `{connected, seconds}` (or `{error}`),
// then holds them, sending nothing (keep-alive 600 s), until it is sent "close".
import type { DeviceCredentials } from '../support/platform-devices.js';
import { closeFleet, connectFleet } from './device-fleet.js';
import type { TlsMqttClient } from './tls-mqtt-client.js';

export interface IdleClientsRequest {
  mqttPort: number;
  caPem: string;
  devices: DeviceCredentials[];
  concurrency: number;
}

export type IdleClientsReply = { connected: number; seconds: number; closedSince: number } | { error: string };

let clients: TlsMqttClient[] = [];
let closedSince = 0;

async function hold(request: IdleClientsRequest): Promise<void> {
  try {
    const fleet = await connectFleet({ mqttPort: request.mqttPort, caPem: request.caPem }, request.devices, request.concurrency);
    clients = fleet.clients;
    for (const client of clients) client.onClose = () => void closedSince++;
    process.send?.({ connected: clients.length, seconds: fleet.seconds, closedSince } satisfies IdleClientsReply);
  } catch (error) {
    process.send?.({ error: error instanceof Error ? error.message : String(error) } satisfies IdleClientsReply);
  }
}

process.on('message', (message: unknown) => {
  if (message === 'status') process.send?.({ connected: clients.length - closedSince, seconds: 0, closedSince } satisfies IdleClientsReply);
  else if (message === 'close') void closeFleet(clients).finally(() => process.exit(0));
  else void hold(message as IdleClientsRequest);
});
// The benchmark went away without closing us: do not linger.
process.once('disconnect', () => process.exit(0));
