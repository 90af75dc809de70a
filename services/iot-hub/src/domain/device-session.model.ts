/** Who is on the other end of an authenticated MQTT connection made with a device certificate. */
export interface DeviceSession {
  /** The MQTT client id; for a device it is its thing name. */
  clientId: string;
  thingName: string;
  workspaceId: string;
  certificateId: string;
}

/**
 * Who sent a request on a reserved topic. A device has its `thingName`; a claim certificate's
 * connection (fleet provisioning) has `claim` instead; a signed-in person has `user`. The broker's policy check has already
 * decided that the requester may use the topic; handlers take the thing from the topic itself.
 */
export interface Requester {
  clientId: string;
  workspaceId: string;
  certificateId?: string;
  thingName?: string;
  claim?: { templateName: string };
  /** A person (or an app acting as one) on MQTT over WebSocket, signed in with an access token. */
  user?: { userId: string };
}

/** Port: the certificates the hub accepts, owned by the device lifecycle. */
export interface CertificateDirectory {
  /** The thing an active, unexpired certificate is attached to; undefined for any other certificate. */
  activeCertificate(certificateId: string): { thingName: string; workspaceId: string } | undefined;
  /**
   * An active claim certificate (fleet provisioning by claim): it may connect only to create a
   * device certificate and register a thing from its template.
   */
  claimCertificate?(certificateId: string): { workspaceId: string; templateName: string } | undefined;
}

/** Port: which workspace a thing belongs to, owned by the device lifecycle. */
export interface ThingDirectory {
  workspaceOfThing(thingName: string): string | undefined;
  /**
   * Every thing of the workspace, for dynamic thing groups (a scan of the registry's directory).
   * A directory without it (one made for a test) leaves dynamic groups unevaluated (503).
   */
  thingsOf?(workspaceId: string): string[];
}
