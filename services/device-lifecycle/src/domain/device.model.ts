import type { DeviceConnectivity, DeviceStatus } from '@citus/contracts';

export interface DeviceRecord {
  id: string;
  workspaceId: string;
  thingName: string;
  name: string;
  type: string | null;
  location: string | null;
  latitude: number | null;
  longitude: number | null;
  status: DeviceStatus;
  certificateId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The pending activation of a device: only the code's hash is ever stored. */
export interface ActivationRecord {
  deviceId: string;
  codeHash: string;
  expiresAt: string;
  failedAttempts: number;
}

export type CertificateStatus = 'ACTIVE' | 'REVOKED';

export interface CertificateRecord {
  id: string;
  thingName: string;
  deviceId: string;
  workspaceId: string;
  certificatePem: string;
  status: CertificateStatus;
  notAfter: string;
  createdAt: string;
  revokedAt: string | null;
}

export type DeviceMetadataPatch = Partial<Pick<DeviceRecord, 'name' | 'type' | 'location' | 'latitude' | 'longitude'>>;

/** Port: devices, their pending activations and their certificates. Every device read is workspace-scoped. */
export interface DeviceRepository {
  insert(device: DeviceRecord, activation: ActivationRecord): void;
  /**
   * Stores a device that is active from the start with its active certificate, in one transaction
   * (fleet provisioning). False, storing nothing, when the thing name or certificate is taken.
   */
  insertActivated(device: DeviceRecord, certificate: CertificateRecord): boolean;
  get(workspaceId: string, id: string): DeviceRecord | undefined;
  /** Unscoped, for the hub: the device a thing name belongs to. */
  findByThingName(thingName: string): DeviceRecord | undefined;
  list(workspaceId: string): DeviceRecord[];
  update(workspaceId: string, id: string, patch: DeviceMetadataPatch, updatedAt: string): DeviceRecord | undefined;
  /** Deletes the device, its pending activation, and revokes its certificates, in one transaction. */
  delete(workspaceId: string, id: string, at: string): string[];

  /** Unscoped: a device activating has no workspace yet, only its id and code. */
  findForActivation(id: string): { device: DeviceRecord; activation: ActivationRecord | undefined } | undefined;
  putActivation(activation: ActivationRecord): void;
  /** Counts a wrong code; returns the new count. */
  recordFailedAttempt(deviceId: string): number;
  /**
   * Consumes the activation with this code hash and stores the certificate, activating the device,
   * atomically. False when the code was consumed or changed meanwhile.
   */
  completeActivation(deviceId: string, codeHash: string, certificate: CertificateRecord, at: string): boolean;

  /** Revokes every active certificate of the device; returns their ids. */
  revoke(workspaceId: string, id: string, at: string): string[];
  findCertificate(id: string): CertificateRecord | undefined;
}

/** Port: signs device CSRs. */
export interface CertificateAuthority {
  readonly certificatePem: string;
  signDeviceCsr(csrPem: string, thingName: string): Promise<{ certificateId: string; certificatePem: string; notAfter: Date }>;
}

/** The activation attempts allowed before a code is locked. */
export const MAX_ACTIVATION_ATTEMPTS = 5;

/** Thrown by a certificate authority when a CSR is unusable (bad encoding, signature or key). */
export class InvalidCsrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCsrError';
  }
}

/** Port: whether a thing is connected now, as the hub's presence tracking knows it. */
export interface ConnectivityDirectory {
  connectivityOf(thingName: string): DeviceConnectivity | undefined;
}
