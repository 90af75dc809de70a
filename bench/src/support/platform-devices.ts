import type { ActivationResponse, DeclaredDevice } from '@citus/contracts';
import { createCsr, createKeyAndCsr, generateKeyPair, privateKeyToPem } from '@citus/pki';
import { mapLimit } from './async.js';
import { RestClient } from './rest-client.js';

/** What one simulated device needs to connect: its client id, and its key and certificate when the broker asks for them. */
export interface DeviceCredentials {
  clientId: string;
  privateKeyPem?: string;
  certificatePem?: string;
}

export interface ProvisionedFleet {
  devices: DeviceCredentials[];
  caPem: string;
}

export interface ProvisionOptions {
  /** Requests at a time. */
  concurrency?: number;
  /**
   * One key pair for the whole fleet (a CSR per thing is still made, since its CN is the thing
   * name): key generation is most of the client's cost when thousands of devices are made.
   */
  sharedKey?: boolean;
  /** Called after each device is activated, with how many are done. */
  onProgress?: (done: number) => void;
}

type CsrMaker = (thingName: string) => Promise<{ privateKeyPem: string; csrPem: string }>;

async function csrMaker(sharedKey: boolean): Promise<CsrMaker> {
  if (!sharedKey) return createKeyAndCsr;
  const keys = await generateKeyPair();
  const privateKeyPem = await privateKeyToPem(keys.privateKey);
  return async (thingName) => ({ privateKeyPem, csrPem: await createCsr(thingName, keys) });
}

/** Stories 1 and 2 for each device: declare it, make its CSR here, activate it with the one-time code. */
export async function provisionDevices(api: RestClient, count: number, options: ProvisionOptions = {}): Promise<ProvisionedFleet> {
  const makeCsr = await csrMaker(options.sharedKey ?? false);
  let caPem = '';
  let done = 0;
  const devices = await mapLimit(Array.from({ length: count }, (_, i) => i), options.concurrency ?? 8, async (index) => {
    const declared = await api.post<DeclaredDevice>('/api/v1/devices', { name: `bench sensor ${index + 1}` });
    const { privateKeyPem, csrPem } = await makeCsr(declared.thingName);
    // The device has no account: the activation code is its only credential.
    const activation = await new RestClient(api.baseUrl).post<ActivationResponse>(`/api/v1/devices/${declared.id}/activation`, {
      activationCode: declared.activationCode,
      csr: csrPem,
    });
    caPem = activation.caCertificatePem;
    options.onProgress?.(++done);
    return { clientId: declared.thingName, privateKeyPem, certificatePem: activation.certificatePem };
  });
  return { devices, caPem };
}
