import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CodeSigningKey, ThingName } from '@citus/contracts';

/** What an activated device keeps about itself; the key and certificates sit beside it as PEM files. */
export const DeviceState = z.object({
  deviceId: z.string(),
  thingName: ThingName,
  apiUrl: z.string().url(),
  mqttEndpoint: z.string(),
  mqttPort: z.number().int().positive(),
  certificateId: z.string(),
  activatedAt: z.string(),
});
export type DeviceState = z.infer<typeof DeviceState>;

export interface DeviceFiles {
  state: DeviceState;
  privateKeyPem: string;
  certificatePem: string;
  caCertificatePem: string;
  /** The workspace's code-signing key, learnt at activation: the only key updates may be signed with. */
  codeSigningKey?: CodeSigningKey;
}

const FILES = { state: 'device.json', key: 'private.key', certificate: 'certificate.pem', ca: 'ca.pem', signingKey: 'code-signing-key.json' } as const;

export class NotActivatedError extends Error {
  constructor(dir: string) {
    super(`no activated device in ${dir}: run "citus-device activate" first`);
    this.name = 'NotActivatedError';
  }
}

export function isActivated(dir: string): boolean {
  return existsSync(join(dir, FILES.state));
}

/** Writes the device's files: the directory 0700, the private key 0600, the rest 0644. */
export function saveDevice(dir: string, files: DeviceFiles): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, FILES.key), files.privateKeyPem, { mode: 0o600 });
  chmodSync(join(dir, FILES.key), 0o600);
  writeFileSync(join(dir, FILES.certificate), files.certificatePem, { mode: 0o644 });
  writeFileSync(join(dir, FILES.ca), files.caCertificatePem, { mode: 0o644 });
  writeFileSync(join(dir, FILES.state), `${JSON.stringify(files.state, null, 2)}\n`, { mode: 0o644 });
  if (files.codeSigningKey) writeFileSync(join(dir, FILES.signingKey), `${JSON.stringify(files.codeSigningKey, null, 2)}\n`, { mode: 0o644 });
}

export function loadDevice(dir: string): DeviceFiles {
  if (!isActivated(dir)) throw new NotActivatedError(dir);
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    state: DeviceState.parse(JSON.parse(read(FILES.state))),
    privateKeyPem: read(FILES.key),
    certificatePem: read(FILES.certificate),
    caCertificatePem: read(FILES.ca),
    ...(existsSync(join(dir, FILES.signingKey)) ? { codeSigningKey: CodeSigningKey.parse(JSON.parse(read(FILES.signingKey))) } : {}),
  };
}
