import type { ActivationRecord, CertificateRecord, DeviceRecord } from '../../domain/device.model.js';

/** The registry table's item keys (`packages/dynamodb/src/registry.tables.ts` describes the layout). */
export type ItemKey = { pk: string; sk: string };

export const devicePartition = (deviceId: string): string => `DEVICE#${deviceId}`;
export const CERTIFICATE_SORT_PREFIX = 'CERT#';

export const deviceKey = (id: string): ItemKey => ({ pk: devicePartition(id), sk: 'DEVICE' });
export const activationKey = (deviceId: string): ItemKey => ({ pk: devicePartition(deviceId), sk: 'ACTIVATION' });
export const certificateKey = (deviceId: string, id: string): ItemKey => ({ pk: devicePartition(deviceId), sk: `${CERTIFICATE_SORT_PREFIX}${id}` });
export const thingNameKey = (thingName: string): ItemKey => ({ pk: `THING#${thingName}`, sk: 'THING' });
export const certificateIdKey = (id: string): ItemKey => ({ pk: `CERT#${id}`, sk: 'CERT' });

export type ItemKind = 'device' | 'activation' | 'certificate' | 'thing-name' | 'certificate-id';

type Item = Record<string, unknown>;

/**
 * `version` counts the device's lifecycle writes (activation, revocation): a write that read the
 * device's certificates is conditioned on it, so a certificate stored meanwhile is never missed.
 */
export const deviceItem = (device: DeviceRecord, version: number): Item => ({
  ...deviceKey(device.id),
  kind: 'device' satisfies ItemKind,
  ...device,
  listKey: `${device.createdAt}#${device.id}`,
  version,
});

export const activationItem = (activation: ActivationRecord): Item => ({
  ...activationKey(activation.deviceId),
  kind: 'activation' satisfies ItemKind,
  ...activation,
});

export const certificateItem = (certificate: CertificateRecord): Item => ({
  ...certificateKey(certificate.deviceId, certificate.id),
  kind: 'certificate' satisfies ItemKind,
  ...certificate,
});

export const thingNameItem = (device: DeviceRecord): Item => ({
  ...thingNameKey(device.thingName),
  kind: 'thing-name' satisfies ItemKind,
  deviceId: device.id,
  workspaceId: device.workspaceId,
});

export const certificateIdItem = (certificate: CertificateRecord): Item => ({
  ...certificateIdKey(certificate.id),
  kind: 'certificate-id' satisfies ItemKind,
  deviceId: certificate.deviceId,
});

/** The record's fields only: keys, kind, listKey and version stay in the adapter. */
export const toDevice = (item: Item): DeviceRecord => ({
  id: item.id as string,
  workspaceId: item.workspaceId as string,
  thingName: item.thingName as string,
  name: item.name as string,
  type: (item.type ?? null) as string | null,
  location: (item.location ?? null) as string | null,
  latitude: (item.latitude ?? null) as number | null,
  longitude: (item.longitude ?? null) as number | null,
  status: item.status as DeviceRecord['status'],
  certificateId: (item.certificateId ?? null) as string | null,
  createdAt: item.createdAt as string,
  updatedAt: item.updatedAt as string,
});

export const toActivation = (item: Item): ActivationRecord => ({
  deviceId: item.deviceId as string,
  codeHash: item.codeHash as string,
  expiresAt: item.expiresAt as string,
  failedAttempts: item.failedAttempts as number,
});

export const toCertificate = (item: Item): CertificateRecord => ({
  id: item.id as string,
  thingName: item.thingName as string,
  deviceId: item.deviceId as string,
  workspaceId: item.workspaceId as string,
  certificatePem: item.certificatePem as string,
  status: item.status as CertificateRecord['status'],
  notAfter: item.notAfter as string,
  createdAt: item.createdAt as string,
  revokedAt: (item.revokedAt ?? null) as string | null,
});
