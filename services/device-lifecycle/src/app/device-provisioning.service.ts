import { ThingName } from '@citus/contracts';
import { type EventBus, newId } from '@citus/kit';
import type { CertificateRecord, DeviceRecord, DeviceRepository } from '../domain/device.model.js';
import type { RegistryDirectory } from './registry.directory.js';

/** A certificate the hub signed during fleet provisioning, with the thing RegisterThing names. */
export interface ProvisionedThing {
  workspaceId: string;
  thingName: string;
  certificateId: string;
  certificatePem: string;
  notAfter: Date;
}

export type ProvisioningOutcome = { registered: true; deviceId: string } | { registered: false; reason: 'thing-name-taken' | 'invalid-thing-name' };

/**
 * Fleet provisioning's side of the registry: RegisterThing creates a device that is active from
 * the start, with its certificate active and attached, as AWS IoT's template resources
 * `AWS::IoT::Thing` and `AWS::IoT::Certificate` (Status: Active) do. No activation code is made:
 * the claim certificate and the ownership token were the device's proof.
 */
export class DeviceProvisioningService {
  private readonly now: () => Date;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly directory: RegistryDirectory,
    private readonly events: EventBus,
    now?: () => Date,
  ) {
    this.now = now ?? (() => new Date());
  }

  async register(thing: ProvisionedThing): Promise<ProvisioningOutcome> {
    if (!ThingName.safeParse(thing.thingName).success) return { registered: false, reason: 'invalid-thing-name' };
    const at = this.now().toISOString();
    const device: DeviceRecord = {
      id: newId('dev'),
      workspaceId: thing.workspaceId,
      thingName: thing.thingName,
      name: thing.thingName,
      type: null,
      location: null,
      latitude: null,
      longitude: null,
      status: 'active',
      certificateId: thing.certificateId,
      createdAt: at,
      updatedAt: at,
    };
    const certificate: CertificateRecord = {
      id: thing.certificateId,
      thingName: thing.thingName,
      deviceId: device.id,
      workspaceId: thing.workspaceId,
      certificatePem: thing.certificatePem,
      status: 'ACTIVE',
      notAfter: thing.notAfter.toISOString(),
      createdAt: at,
      revokedAt: null,
    };
    // Thing names are unique across workspaces (the hub routes by them): the store decides, so of
    // two racing registrations of one name the loser is told so.
    if (!(await this.devices.insertActivated(device, certificate))) return { registered: false, reason: 'thing-name-taken' };
    this.directory.addThing(device);
    this.directory.addCertificate(certificate);
    const { workspaceId, thingName, name, type, location } = device;
    this.events.emit('device.changed', { workspaceId, thingName, name, type, location });
    return { registered: true, deviceId: device.id };
  }
}
