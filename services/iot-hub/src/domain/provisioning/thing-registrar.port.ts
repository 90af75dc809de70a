/** A device certificate signed during fleet provisioning, and the thing RegisterThing makes for it. */
export interface ThingRegistration {
  workspaceId: string;
  thingName: string;
  certificateId: string;
  certificatePem: string;
  notAfter: Date;
}

export type ThingRegistrationResult =
  | { registered: true }
  | { registered: false; reason: 'thing-name-taken' | 'invalid-thing-name' };

/**
 * Port: the device registry (owned by the device lifecycle) creates the thing as an activated
 * device with the certificate active and attached, so the hub accepts it from then on.
 */
export interface ThingRegistrar {
  registerThing(registration: ThingRegistration): ThingRegistrationResult;
}
