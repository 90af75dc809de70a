import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { REGISTRY_BY_WORKSPACE_INDEX, REGISTRY_TABLE_NAMES, tableName } from '@citus/dynamodb';
import type {
  ActivationRecord,
  ActiveCertificateEntry,
  CertificateRecord,
  DeviceMetadataPatch,
  DeviceRecord,
  DeviceRepository,
  ThingEntry,
} from '../../domain/device.model.js';
import {
  activationItem,
  activationKey,
  CERTIFICATE_SORT_PREFIX,
  certificateIdItem,
  certificateIdKey,
  certificateItem,
  certificateKey,
  deviceItem,
  deviceKey,
  devicePartition,
  thingNameItem,
  thingNameKey,
  toActivation,
  toCertificate,
  toDevice,
} from './registry.items.js';
import {
  absent,
  atVersion,
  contended,
  put,
  refused,
  revokeCertificate,
  transact,
  type TransactItem,
  transition,
} from './registry.transactions.js';

/** Writes that read first, then write on the condition that nothing changed, try again this often. */
const MAX_ATTEMPTS = 5;
const PATCHABLE = ['name', 'type', 'location', 'latitude', 'longitude'] as const;

interface DeviceCollection {
  device: DeviceRecord | undefined;
  version: number;
  activation: ActivationRecord | undefined;
  certificates: CertificateRecord[];
}

/**
 * The scale-out registry on DynamoDB (one table, `REGISTRY_TABLES`). Uniqueness of thing names and
 * certificate ids is kept by marker items written in the same TransactWriteItems as what they mark;
 * the lifecycle writes (delete, activation, revocation) read the device's partition, then write in
 * one transaction conditioned on the device's `version`, and read again when another writer got
 * in between. Reads by key are strongly consistent. `list` reads the `by-workspace` index, which is
 * eventually consistent: a device just declared may be missing from a list for a moment.
 */
export class DynamoDeviceRepository implements DeviceRepository {
  private readonly table: string;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    tablePrefix = '',
  ) {
    this.table = tableName(tablePrefix, REGISTRY_TABLE_NAMES.registry);
  }

  async insert(device: DeviceRecord, activation: ActivationRecord): Promise<boolean> {
    return this.insertAll([
      put(this.table, deviceItem(device, 1), absent),
      put(this.table, thingNameItem(device), absent),
      put(this.table, activationItem(activation)),
    ]);
  }

  async insertActivated(device: DeviceRecord, certificate: CertificateRecord): Promise<boolean> {
    return this.insertAll([
      put(this.table, deviceItem(device, 1), absent),
      put(this.table, thingNameItem(device), absent),
      put(this.table, certificateIdItem(certificate), absent),
      put(this.table, certificateItem(certificate), absent),
    ]);
  }

  async get(workspaceId: string, id: string): Promise<DeviceRecord | undefined> {
    const item = await this.item(deviceKey(id));
    return item?.workspaceId === workspaceId ? toDevice(item) : undefined;
  }

  async findByThingName(thingName: string): Promise<DeviceRecord | undefined> {
    const marker = await this.item(thingNameKey(thingName));
    if (!marker) return undefined;
    const item = await this.item(deviceKey(marker.deviceId as string));
    return item ? toDevice(item) : undefined;
  }

  async list(workspaceId: string): Promise<DeviceRecord[]> {
    const devices: DeviceRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: REGISTRY_BY_WORKSPACE_INDEX,
          KeyConditionExpression: 'workspaceId = :workspace',
          ExpressionAttributeValues: { ':workspace': workspaceId },
          ExclusiveStartKey: startKey,
        }),
      );
      devices.push(...(page.Items ?? []).map(toDevice));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return devices;
  }

  async update(workspaceId: string, id: string, patch: DeviceMetadataPatch, updatedAt: string): Promise<DeviceRecord | undefined> {
    // Attribute names come from a fixed list, never from the request: only values are bound.
    const fields = PATCHABLE.filter((field) => field in patch);
    const names: Record<string, string> = { '#updatedAt': 'updatedAt', '#workspaceId': 'workspaceId' };
    const values: Record<string, unknown> = { ':updatedAt': updatedAt, ':workspace': workspaceId };
    for (const field of fields) {
      names[`#${field}`] = field;
      values[`:${field}`] = patch[field] ?? null;
    }
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: deviceKey(id),
          UpdateExpression: `SET ${[...fields, 'updatedAt'].map((field) => `#${field} = :${field}`).join(', ')}`,
          ConditionExpression: '#workspaceId = :workspace',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toDevice(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async delete(workspaceId: string, id: string, at: string): Promise<string[]> {
    return this.lifecycleWrite(id, async ({ device, version, certificates }) => {
      if (device?.workspaceId !== workspaceId) return { done: [] };
      const active = certificates.filter((certificate) => certificate.status === 'ACTIVE');
      const cancelled = await transact(this.documents, [
        { Delete: { TableName: this.table, Key: deviceKey(id), ...atVersion(version) } },
        { Delete: { TableName: this.table, Key: thingNameKey(device.thingName) } },
        // Deleted whether or not it was read: a code renewed meanwhile goes with the device.
        { Delete: { TableName: this.table, Key: activationKey(id) } },
        ...active.map((certificate) => revokeCertificate(this.table, certificate, at)),
      ]);
      return cancelled ? undefined : { done: active.map((certificate) => certificate.id) };
    });
  }

  async findForActivation(id: string): Promise<{ device: DeviceRecord; activation: ActivationRecord | undefined } | undefined> {
    const { device, activation } = await this.collection(id);
    return device ? { device, activation } : undefined;
  }

  async putActivation(activation: ActivationRecord): Promise<boolean> {
    const cancelled = await transact(this.documents, [
      { ConditionCheck: { TableName: this.table, Key: deviceKey(activation.deviceId), ConditionExpression: 'attribute_exists(pk)' } },
      put(this.table, activationItem(activation)),
    ]);
    if (cancelled && !refused(cancelled)) throw contended();
    return !cancelled;
  }

  async recordFailedAttempt(deviceId: string): Promise<number> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: activationKey(deviceId),
          UpdateExpression: 'ADD failedAttempts :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Attributes?.failedAttempts as number;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 0;
      throw error;
    }
  }

  async completeActivation(deviceId: string, codeHash: string, certificate: CertificateRecord, at: string): Promise<boolean> {
    return this.lifecycleWrite(deviceId, async ({ device, version, activation, certificates }) => {
      if (!device || activation?.codeHash !== codeHash) return { done: false };
      const earlier = certificates.filter((old) => old.status === 'ACTIVE');
      const cancelled = await transact(this.documents, [
        {
          Delete: {
            TableName: this.table,
            Key: activationKey(deviceId),
            ConditionExpression: 'codeHash = :hash',
            ExpressionAttributeValues: { ':hash': codeHash },
          },
        },
        put(this.table, certificateIdItem(certificate), absent),
        put(this.table, certificateItem(certificate), absent),
        transition(this.table, deviceId, version, { status: 'active', certificateId: certificate.id, updatedAt: at }),
        ...earlier.map((old) => revokeCertificate(this.table, old, at)),
      ]);
      // A certificate id is the CA's: one taken is a fault, not a race to retry.
      if (cancelled?.codes[1] === 'ConditionalCheckFailed') throw new Error(`certificate id ${certificate.id} is already stored`);
      return cancelled ? undefined : { done: true };
    });
  }

  async revoke(workspaceId: string, id: string, at: string): Promise<string[]> {
    return this.lifecycleWrite(id, async ({ device, version, certificates }) => {
      if (device?.workspaceId !== workspaceId) return { done: [] };
      const active = certificates.filter((certificate) => certificate.status === 'ACTIVE');
      const cancelled = await transact(this.documents, [
        transition(this.table, id, version, { status: 'revoked', updatedAt: at }),
        // A pending code dies with the revocation: only a code issued after it may activate again.
        { Delete: { TableName: this.table, Key: activationKey(id) } },
        ...active.map((certificate) => revokeCertificate(this.table, certificate, at)),
      ]);
      return cancelled ? undefined : { done: active.map((certificate) => certificate.id) };
    });
  }

  async findCertificate(id: string): Promise<CertificateRecord | undefined> {
    const marker = await this.item(certificateIdKey(id));
    if (!marker) return undefined;
    const item = await this.item(certificateKey(marker.deviceId as string, id));
    return item ? toCertificate(item) : undefined;
  }

  /** A Scan of the whole table: once, at start. */
  async directoryEntries(): Promise<{ things: ThingEntry[]; activeCertificates: ActiveCertificateEntry[] }> {
    const things: ThingEntry[] = [];
    const activeCertificates: ActiveCertificateEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new ScanCommand({
          TableName: this.table,
          ConsistentRead: true,
          FilterExpression: '#kind = :device OR (#kind = :certificate AND #status = :active)',
          ProjectionExpression: '#kind, #id, #thingName, #workspaceId, #status, #notAfter',
          ExpressionAttributeNames: {
            '#kind': 'kind',
            '#id': 'id',
            '#thingName': 'thingName',
            '#workspaceId': 'workspaceId',
            '#status': 'status',
            '#notAfter': 'notAfter',
          },
          ExpressionAttributeValues: { ':device': 'device', ':certificate': 'certificate', ':active': 'ACTIVE' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const thing = { thingName: item.thingName as string, workspaceId: item.workspaceId as string };
        if (item.kind === 'device') things.push(thing);
        else activeCertificates.push({ ...thing, id: item.id as string, notAfter: item.notAfter as string });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { things, activeCertificates };
  }

  /** The device, its activation and its certificates: one strongly consistent Query of its partition. */
  private async collection(deviceId: string): Promise<DeviceCollection> {
    const collection: DeviceCollection = { device: undefined, version: 0, activation: undefined, certificates: [] };
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': devicePartition(deviceId) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.sk === 'DEVICE') {
          collection.device = toDevice(item);
          collection.version = item.version as number;
        } else if (item.sk === 'ACTIVATION') collection.activation = toActivation(item);
        else if ((item.sk as string).startsWith(CERTIFICATE_SORT_PREFIX)) collection.certificates.push(toCertificate(item));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return collection;
  }

  /**
   * Reads the device's partition and hands it to `write`, which answers `{ done }` or, when its
   * transaction was cancelled because another writer got in between, undefined: then it reads again.
   */
  private async lifecycleWrite<T>(deviceId: string, write: (collection: DeviceCollection) => Promise<{ done: T } | undefined>): Promise<T> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const outcome = await write(await this.collection(deviceId));
      if (outcome) return outcome.done;
    }
    throw contended();
  }

  /** Puts that must all be new: false when one is taken; a concurrent transaction is waited out. */
  private async insertAll(items: TransactItem[]): Promise<boolean> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const cancelled = await transact(this.documents, items);
      if (!cancelled) return true;
      if (refused(cancelled)) return false;
    }
    throw contended();
  }

  private async item(Key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
    return Item;
  }
}
