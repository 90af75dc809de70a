/** Who is on the other end of an authenticated MQTT connection. */
export interface DeviceSession {
  thingName: string;
  workspaceId: string;
  certificateId: string;
}

/** Port: the certificates the hub accepts, owned by the device lifecycle. */
export interface CertificateDirectory {
  /** The thing an active, unexpired certificate is attached to; undefined for any other certificate. */
  activeCertificate(certificateId: string): { thingName: string; workspaceId: string } | undefined;
}

/** Port: which workspace a thing belongs to, owned by the device lifecycle. */
export interface ThingDirectory {
  workspaceOfThing(thingName: string): string | undefined;
}
