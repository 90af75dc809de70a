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
 * device with the certificate active and attached, so the hub accepts it from then on. The answer
 * comes once the registry has stored the thing (SQLite or DynamoDB), so RegisterThing is never
 * accepted for a thing that was not stored.
 */
export interface ThingRegistrar {
  registerThing(registration: ThingRegistration): Promise<ThingRegistrationResult>;
}
