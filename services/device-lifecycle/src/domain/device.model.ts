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

/** A thing and the workspace it belongs to: what the hub routes by. */
export interface ThingEntry {
  thingName: string;
  workspaceId: string;
}

/** An active certificate as the hub checks it on every connect. */
export interface ActiveCertificateEntry extends ThingEntry {
  id: string;
  notAfter: string;
}

/**
 * Port: devices, their pending activations and their certificates. Every device read and write is
 * workspace-scoped except the ones documented as unscoped: in another workspace a device is not
 * found, and writing to it changes nothing. Thing names and certificate ids are unique across
 * workspaces. Each method is atomic: a failure leaves nothing half-written.
 */
export interface DeviceRepository {
  /** Stores a declared device with its pending activation. False, storing nothing, when the thing name is taken. */
  insert(device: DeviceRecord, activation: ActivationRecord): Promise<boolean>;
  /**
   * Stores a device that is active from the start with its active certificate (fleet
   * provisioning). False, storing nothing, when the thing name or certificate id is taken.
   */
  insertActivated(device: DeviceRecord, certificate: CertificateRecord): Promise<boolean>;
  get(workspaceId: string, id: string): Promise<DeviceRecord | undefined>;
  /** Unscoped: the device a thing name belongs to. */
  findByThingName(thingName: string): Promise<DeviceRecord | undefined>;
  /** Oldest first (createdAt, then id). */
  list(workspaceId: string): Promise<DeviceRecord[]>;
  update(workspaceId: string, id: string, patch: DeviceMetadataPatch, updatedAt: string): Promise<DeviceRecord | undefined>;
  /** Deletes the device and its pending activation and revokes its certificates; returns their ids. */
  delete(workspaceId: string, id: string, at: string): Promise<string[]>;

  /** Unscoped: a device activating has no workspace yet, only its id and code. */
  findForActivation(id: string): Promise<{ device: DeviceRecord; activation: ActivationRecord | undefined } | undefined>;
  /** Replaces the device's pending activation, resetting its failed attempts. False when the device is gone. */
  putActivation(activation: ActivationRecord): Promise<boolean>;
  /** Counts a wrong code; returns the new count (0 when there is no pending activation). */
  recordFailedAttempt(deviceId: string): Promise<number>;
  /**
   * Consumes the activation with this code hash, revokes the device's earlier certificates and
   * stores the new one, activating the device. False, changing nothing, when the code was consumed
   * or changed meanwhile.
   */
  completeActivation(deviceId: string, codeHash: string, certificate: CertificateRecord, at: string): Promise<boolean>;

  /** Revokes every active certificate of the device and drops its pending code; returns the certificates' ids. */
  revoke(workspaceId: string, id: string, at: string): Promise<string[]>;
  /** Unscoped: the hub knows a certificate by its id only. */
  findCertificate(id: string): Promise<CertificateRecord | undefined>;
  /** Unscoped, read once at start: every thing, and every active certificate. */
  directoryEntries(): Promise<{ things: ThingEntry[]; activeCertificates: ActiveCertificateEntry[] }>;
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

/**
 * Port: whether things are connected now, as the hub's presence tracking knows it; asked once for
 * a whole device list, since the hub may be another process. A thing missing from the answer
 * never connected (or is not the workspace's).
 */
export interface ConnectivityDirectory {
  connectivityIn(workspaceId: string, thingNames: readonly string[]): Promise<ReadonlyMap<string, DeviceConnectivity>>;
}

/** The hub's presence in the same process, one thing at a time: a lookup in its own store. */
export interface ThingPresence {
  connectivityOf(thingName: string): DeviceConnectivity | undefined;
}

/** The in-process lookup as the port: workspace-scoped already, since only the workspace's things are asked. */
export function connectivityDirectoryOf(presence: ConnectivityDirectory | ThingPresence): ConnectivityDirectory {
  if ('connectivityIn' in presence) return presence;
  return {
    connectivityIn: (_workspaceId, thingNames) => {
      const found = new Map<string, DeviceConnectivity>();
      for (const thingName of thingNames) {
        const connectivity = presence.connectivityOf(thingName);
        if (connectivity) found.set(thingName, connectivity);
      }
      return Promise.resolve(found);
    },
  };
}
