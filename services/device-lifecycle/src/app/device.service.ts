import type {
  ActivationRequest,
  ActivationResponse,
  CodeSigningKey,
  DeclareDeviceRequest,
  DeclaredDevice,
  Device,
  ThingAttributes,
  UpdateDeviceRequest,
} from '@citus/contracts';
import { badRequest, conflict, type EventBus, forbidden, newId, notFound } from '@citus/kit';
import { activationCodeMatches, hashActivationCode, newActivationCode } from '../domain/activation-code.rules.js';
import {
  MAX_ACTIVATION_ATTEMPTS,
  type CertificateAuthority,
  type CertificateRecord,
  type DeviceRecord,
  type DeviceRepository,
  InvalidCsrError,
} from '../domain/device.model.js';
import { newThingName } from '../domain/thing-name.rules.js';
import type { RegistryDirectory } from './registry.directory.js';

export interface DeviceServiceOptions {
  activationTtlMs: number;
  mqttEndpoint: string;
  /** The MQTT port: known only once the hub listens. */
  mqttPort: () => number;
  /** The workspace's code-signing key, handed to the device with its certificate. */
  codeSigningKey?: (workspaceId: string) => CodeSigningKey;
  now?: () => Date;
}

/** A device's metadata as fleet indexing's attributes: one it was declared without is absent, not null. */
const attributesOf = ({ name, type, location, latitude, longitude }: DeviceRecord): ThingAttributes => ({
  name,
  ...(type === null ? {} : { type }),
  ...(location === null ? {} : { location }),
  ...(latitude === null ? {} : { latitude }),
  ...(longitude === null ? {} : { longitude }),
});

const invalidCode = () => forbidden('invalid or already used activation code');
/** Thing names end in 8 random hex digits: a second clash in a row is not chance. */
const THING_NAME_ATTEMPTS = 3;

/** Story 1 and 2: declaring devices, activating them with a CSR, revoking them. */
export class DeviceService {
  private readonly now: () => Date;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly directory: RegistryDirectory,
    private readonly ca: CertificateAuthority,
    private readonly events: EventBus,
    private readonly options: DeviceServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Loads what the hub asks synchronously; before the hub starts. */
  async start(): Promise<void> {
    await this.directory.load(this.devices);
  }

  async declare(workspaceId: string, request: DeclareDeviceRequest): Promise<DeclaredDevice> {
    for (let attempt = 1; attempt <= THING_NAME_ATTEMPTS; attempt++) {
      const device = this.newDevice(workspaceId, request);
      const { code, activation } = this.newActivation(device.id);
      // Thing names are unique across workspaces: a clash gets a fresh one.
      if (!(await this.devices.insert(device, activation))) continue;
      this.directory.addThing(device);
      this.announceChanged(device);
      return { ...device, activationCode: code, activationExpiresAt: activation.expiresAt };
    }
    throw conflict('no free thing name for this device name: try again');
  }

  list(workspaceId: string): Promise<Device[]> {
    return this.devices.list(workspaceId);
  }

  async get(workspaceId: string, id: string): Promise<Device> {
    const device = await this.devices.get(workspaceId, id);
    if (!device) throw notFound('device');
    return device;
  }

  async update(workspaceId: string, id: string, patch: UpdateDeviceRequest): Promise<Device> {
    const device = await this.devices.update(workspaceId, id, patch, this.now().toISOString());
    if (!device) throw notFound('device');
    this.announceChanged(device);
    return device;
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    const device = await this.get(workspaceId, id);
    const revoked = await this.devices.delete(workspaceId, id, this.now().toISOString());
    this.directory.removeCertificates(revoked);
    this.directory.removeThing(device.thingName);
    // Revoked first, so the hub has closed the thing's sessions before it cleans up after the thing.
    this.announceRevoked(device.thingName, revoked);
    this.events.emit('thing.deleted', { workspaceId, thingName: device.thingName });
  }

  /** A fresh code for a device that is not active (new, locked out, expired or revoked). */
  async renewActivationCode(workspaceId: string, id: string): Promise<{ activationCode: string; activationExpiresAt: string }> {
    const device = await this.get(workspaceId, id);
    if (device.status === 'active') throw conflict('device is active: revoke it first');
    const { code, activation } = this.newActivation(device.id);
    // Deleted since it was read.
    if (!(await this.devices.putActivation(activation))) throw notFound('device');
    return { activationCode: code, activationExpiresAt: activation.expiresAt };
  }

  /**
   * The device proves it holds the code and sends a CSR; the platform signs it for this thing.
   * The code is checked first (a wrong one counts against the lock), the CSR is signed, and only
   * then is the code consumed, atomically with storing the certificate: a bad CSR does not burn
   * the code, and two racing requests cannot both succeed.
   */
  async activate(deviceId: string, request: ActivationRequest): Promise<ActivationResponse> {
    const found = await this.devices.findForActivation(deviceId);
    if (!found) throw notFound('device');
    const { device, activation } = found;
    if (!activation) throw invalidCode();
    if (activation.failedAttempts >= MAX_ACTIVATION_ATTEMPTS) {
      throw forbidden('activation is locked after too many wrong codes: ask for a new code');
    }
    if (!activationCodeMatches(request.activationCode, activation.codeHash)) {
      await this.devices.recordFailedAttempt(deviceId);
      throw invalidCode();
    }
    if (Date.parse(activation.expiresAt) <= this.now().getTime()) {
      throw forbidden('activation code expired: ask for a new code');
    }

    let issued;
    try {
      issued = await this.ca.signDeviceCsr(request.csr, device.thingName);
    } catch (error) {
      if (error instanceof InvalidCsrError) throw badRequest(error.message);
      throw error;
    }
    const at = this.now().toISOString();
    const certificate: CertificateRecord = {
      id: issued.certificateId,
      thingName: device.thingName,
      deviceId: device.id,
      workspaceId: device.workspaceId,
      certificatePem: issued.certificatePem,
      status: 'ACTIVE',
      notAfter: issued.notAfter.toISOString(),
      createdAt: at,
      revokedAt: null,
    };
    if (!(await this.devices.completeActivation(deviceId, activation.codeHash, certificate, at))) throw invalidCode();
    this.directory.addCertificate(certificate);
    this.announceChanged(device);
    return {
      thingName: device.thingName,
      certificateId: certificate.id,
      certificatePem: certificate.certificatePem,
      caCertificatePem: this.ca.certificatePem,
      mqttEndpoint: this.options.mqttEndpoint,
      mqttPort: this.options.mqttPort(),
      ...(this.options.codeSigningKey ? { codeSigningKey: this.options.codeSigningKey(device.workspaceId) } : {}),
    };
  }

  /** Revokes the device's certificates; the hub closes its live sessions on the event. */
  async revoke(workspaceId: string, id: string): Promise<Device> {
    const device = await this.get(workspaceId, id);
    const revoked = await this.devices.revoke(workspaceId, id, this.now().toISOString());
    this.directory.removeCertificates(revoked);
    this.announceRevoked(device.thingName, revoked);
    return this.get(workspaceId, id);
  }

  /** For the hub, on every connect: the thing an active certificate is attached to, if it is active. */
  activeCertificate(certificateId: string): { thingName: string; workspaceId: string } | undefined {
    return this.directory.activeCertificate(certificateId, this.now().getTime());
  }

  /** For the hub, on every publish: the workspace a thing belongs to. */
  workspaceOfThing(thingName: string): string | undefined {
    return this.directory.workspaceOfThing(thingName);
  }

  /** For the hub's dynamic thing groups: every thing of the workspace. */
  thingsOf(workspaceId: string): string[] {
    return this.directory.thingsOf(workspaceId);
  }

  /**
   * For the hub's dynamic thing groups whose query names `attributes.*`: the declared metadata of
   * the workspace's things among `thingNames` (others are left out). One read of the workspace's
   * devices a call, with no new query on either store: in one process the hub asks for a whole
   * group's candidates at once; apart, in parts of `MAX_ATTRIBUTES_BATCH` names, a read each.
   */
  async attributesOf(workspaceId: string, thingNames: readonly string[]): Promise<Map<string, ThingAttributes>> {
    const wanted = new Set(thingNames);
    const found = new Map<string, ThingAttributes>();
    for (const device of await this.devices.list(workspaceId)) {
      if (wanted.has(device.thingName)) found.set(device.thingName, attributesOf(device));
    }
    return found;
  }

  private newDevice(workspaceId: string, request: DeclareDeviceRequest): DeviceRecord {
    const at = this.now().toISOString();
    return {
      id: newId('dev'),
      workspaceId,
      thingName: newThingName(request.name),
      name: request.name,
      type: request.type ?? null,
      location: request.location ?? null,
      latitude: request.latitude ?? null,
      longitude: request.longitude ?? null,
      status: 'declared',
      certificateId: null,
      createdAt: at,
      updatedAt: at,
    };
  }

  private newActivation(deviceId: string) {
    const code = newActivationCode();
    const expiresAt = new Date(this.now().getTime() + this.options.activationTtlMs).toISOString();
    return { code, activation: { deviceId, codeHash: hashActivationCode(code), expiresAt, failedAttempts: 0 } };
  }

  private announceChanged({ workspaceId, thingName, name, type, location }: Pick<DeviceRecord, 'workspaceId' | 'thingName' | 'name' | 'type' | 'location'>): void {
    this.events.emit('device.changed', { workspaceId, thingName, name, type, location });
  }

  private announceRevoked(thingName: string, certificateIds: string[]): void {
    for (const certificateId of certificateIds) this.events.emit('certificate.revoked', { thingName, certificateId });
  }
}
