import type { ActivationResponse, DeclaredDevice, TelemetryPage } from '@citus/contracts';
import { createKeyAndCsr } from '@citus/pki';
import { mapLimit } from '../support/async.js';
import { RestClient } from '../support/rest-client.js';
import type { DeviceCredentials } from './load-generator.js';

const CONCURRENCY = 8;
const PAGE_SIZE = 1000;

export interface ProvisionedFleet {
  devices: DeviceCredentials[];
  caPem: string;
}

/** Stories 1 and 2 for each device: declare it, make its key and CSR here, activate it with the one-time code. */
export async function provisionDevices(api: RestClient, count: number): Promise<ProvisionedFleet> {
  let caPem = '';
  const devices = await mapLimit(Array.from({ length: count }, (_, i) => i), CONCURRENCY, async (index) => {
    const declared = await api.post<DeclaredDevice>('/api/v1/devices', { name: `bench sensor ${index + 1}` });
    const { privateKeyPem, csrPem } = await createKeyAndCsr(declared.thingName);
    // The device has no account: the activation code is its only credential.
    const activation = await new RestClient(api.baseUrl).post<ActivationResponse>(`/api/v1/devices/${declared.id}/activation`, {
      activationCode: declared.activationCode,
      csr: csrPem,
    });
    caPem = activation.caCertificatePem;
    return { clientId: declared.thingName, privateKeyPem, certificatePem: activation.certificatePem };
  });
  return { devices, caPem };
}

/** How many messages the platform holds for one thing, read page by page through the public API. */
async function countThing(api: RestClient, thingName: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ thingName, limit: String(PAGE_SIZE) });
    if (cursor) query.set('cursor', cursor);
    const page = await api.get<TelemetryPage>(`/api/v1/telemetry?${query}`);
    count += page.items.length;
    cursor = page.next;
  } while (cursor);
  return count;
}

/** Messages durably stored for all the things, as a reader of the platform sees them. */
export async function countStored(api: RestClient, thingNames: string[]): Promise<number> {
  const counts = await mapLimit(thingNames, CONCURRENCY, (thingName) => countThing(api, thingName));
  return counts.reduce((sum, count) => sum + count, 0);
}
