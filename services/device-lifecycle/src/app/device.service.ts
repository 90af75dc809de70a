import type {
  ActivationRequest,
  ActivationResponse,
  DeclareDeviceRequest,
  DeclaredDevice,
  Device,
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

export interface DeviceServiceOptions {
  activationTtlMs: number;
  mqttEndpoint: string;
  /** The MQTT port: known only once the hub listens. */
  mqttPort: () => number;
  now?: () => Date;
}

const invalidCode = () => forbidden('invalid or already used activation code');

/** Story 1 and 2: declaring devices, activating them with a CSR, revoking them. */
export class DeviceService {
  private readonly now: () => Date;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly ca: CertificateAuthority,
    private readonly events: EventBus,
    private readonly options: DeviceServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  declare(workspaceId: string, request: DeclareDeviceRequest): DeclaredDevice {
    const at = this.now().toISOString();
    const device: DeviceRecord = {
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
    const { code, activation } = this.newActivation(device.id);
    this.devices.insert(device, activation);
    this.announceChanged(device);
    return { ...device, activationCode: code, activationExpiresAt: activation.expiresAt };
  }

  list(workspaceId: string): Device[] {
    return this.devices.list(workspaceId);
  }

  get(workspaceId: string, id: string): Device {
    const device = this.devices.get(workspaceId, id);
    if (!device) throw notFound('device');
    return device;
  }

  update(workspaceId: string, id: string, patch: UpdateDeviceRequest): Device {
    const device = this.devices.update(workspaceId, id, patch, this.now().toISOString());
    if (!device) throw notFound('device');
    this.announceChanged(device);
    return device;
  }

  delete(workspaceId: string, id: string): void {
    const device = this.get(workspaceId, id);
    const revoked = this.devices.delete(workspaceId, id, this.now().toISOString());
    // Revoked first, so the hub has closed the thing's sessions before it cleans up after the thing.
    this.announceRevoked(device.thingName, revoked);
    this.events.emit('thing.deleted', { workspaceId, thingName: device.thingName });
  }

  /** A fresh code for a device that is not active (new, locked out, expired or revoked). */
  renewActivationCode(workspaceId: string, id: string): { activationCode: string; activationExpiresAt: string } {
    const device = this.get(workspaceId, id);
    if (device.status === 'active') throw conflict('device is active: revoke it first');
    const { code, activation } = this.newActivation(device.id);
    this.devices.putActivation(activation);
    return { activationCode: code, activationExpiresAt: activation.expiresAt };
  }

  /**
   * The device proves it holds the code and sends a CSR; the platform signs it for this thing.
   * The code is checked first (a wrong one counts against the lock), the CSR is signed, and only
   * then is the code consumed, atomically with storing the certificate: a bad CSR does not burn
   * the code, and two racing requests cannot both succeed.
   */
  async activate(deviceId: string, request: ActivationRequest): Promise<ActivationResponse> {
    const found = this.devices.findForActivation(deviceId);
    if (!found) throw notFound('device');
    const { device, activation } = found;
    if (!activation) throw invalidCode();
    if (activation.failedAttempts >= MAX_ACTIVATION_ATTEMPTS) {
      throw forbidden('activation is locked after too many wrong codes: ask for a new code');
    }
    if (!activationCodeMatches(request.activationCode, activation.codeHash)) {
      this.devices.recordFailedAttempt(deviceId);
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
    if (!this.devices.completeActivation(deviceId, activation.codeHash, certificate, at)) throw invalidCode();
    this.announceChanged(device);
    return {
      thingName: device.thingName,
      certificateId: certificate.id,
      certificatePem: certificate.certificatePem,
      caCertificatePem: this.ca.certificatePem,
      mqttEndpoint: this.options.mqttEndpoint,
      mqttPort: this.options.mqttPort(),
    };
  }

  /** Revokes the device's certificates; the hub closes its live sessions on the event. */
  revoke(workspaceId: string, id: string): Device {
    const device = this.get(workspaceId, id);
    const revoked = this.devices.revoke(workspaceId, id, this.now().toISOString());
    this.announceRevoked(device.thingName, revoked);
    return this.get(workspaceId, id);
  }

  /** For the hub: the thing an active certificate is attached to, if it is active. */
  activeCertificate(certificateId: string): { thingName: string; workspaceId: string } | undefined {
    const certificate = this.devices.findCertificate(certificateId);
    if (!certificate || certificate.status !== 'ACTIVE') return undefined;
    if (Date.parse(certificate.notAfter) <= this.now().getTime()) return undefined;
    return { thingName: certificate.thingName, workspaceId: certificate.workspaceId };
  }

  /** For the hub: the workspace a thing belongs to. */
  workspaceOfThing(thingName: string): string | undefined {
    return this.devices.findByThingName(thingName)?.workspaceId;
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
