import { ThingName } from '@citus/contracts';
import { type EventBus, newId } from '@citus/kit';
import type { CertificateRecord, DeviceRecord, DeviceRepository } from '../domain/device.model.js';

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
    private readonly events: EventBus,
    now?: () => Date,
  ) {
    this.now = now ?? (() => new Date());
  }

  register(thing: ProvisionedThing): ProvisioningOutcome {
    if (!ThingName.safeParse(thing.thingName).success) return { registered: false, reason: 'invalid-thing-name' };
    // Thing names are unique across workspaces: the hub routes by them.
    if (this.devices.findByThingName(thing.thingName)) return { registered: false, reason: 'thing-name-taken' };
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
    // Two racing registrations of one name: the unique index decides, and the loser is told so.
    if (!this.devices.insertActivated(device, certificate)) return { registered: false, reason: 'thing-name-taken' };
    const { workspaceId, thingName, name, type, location } = device;
    this.events.emit('device.changed', { workspaceId, thingName, name, type, location });
    return { registered: true, deviceId: device.id };
  }
}
