import { ActivationResponse, ErrorEnvelope } from '@citus/contracts';
import { createKeyAndCsr } from '@citus/pki';
import { isActivated, saveDevice, type DeviceState } from './device-state.js';

export interface ActivateOptions {
  apiUrl: string;
  deviceId: string;
  activationCode: string;
  dir: string;
  /** Replace an existing activation in `dir`. */
  force?: boolean;
}

export class ActivationError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ActivationError';
  }
}

/**
 * Story 2, the device's side: make a P-256 key pair here, send only a CSR with the one-time code,
 * keep the key (mode 0600) and the certificate the platform signed.
 */
export async function activate(options: ActivateOptions): Promise<DeviceState> {
  if (isActivated(options.dir) && !options.force) {
    throw new ActivationError(`${options.dir} already holds an activated device (use --force to replace it)`);
  }
  const { privateKeyPem, csrPem } = await createKeyAndCsr(options.deviceId);
  const url = new URL(`/api/v1/devices/${encodeURIComponent(options.deviceId)}/activation`, options.apiUrl);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ activationCode: options.activationCode, csr: csrPem }),
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const envelope = ErrorEnvelope.safeParse(body);
    const reason = envelope.success ? envelope.data.error.message : `HTTP ${response.status}`;
    throw new ActivationError(`activation refused: ${reason}`, response.status);
  }
  const activation = ActivationResponse.parse(body);
  const state: DeviceState = {
    deviceId: options.deviceId,
    thingName: activation.thingName,
    apiUrl: options.apiUrl,
    mqttEndpoint: activation.mqttEndpoint,
    mqttPort: activation.mqttPort,
    certificateId: activation.certificateId,
    activatedAt: new Date().toISOString(),
  };
  saveDevice(options.dir, {
    state,
    privateKeyPem,
    certificatePem: activation.certificatePem,
    caCertificatePem: activation.caCertificatePem,
    ...(activation.codeSigningKey ? { codeSigningKey: activation.codeSigningKey } : {}),
  });
  return state;
}
