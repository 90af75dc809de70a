/**
 * Port: what the device lifecycle asks of the device plane's control side. The embedded adapter
 * would be the built-in CA plus the device repository (the hub reads both); the AWS adapter
 * (`@citus/aws-iot`) is AWS IoT Core's registry, certificates and policies. Every method is
 * idempotent, so a lifecycle step that failed half-way can simply be run again.
 *
 * Not wired yet: `DeviceService` still uses `CertificateAuthority` and `DeviceRepository` directly.
 */
export interface DeviceControlPlane {
  /** Registers the thing of a declared device; registering it again is not an error. */
  registerThing(thing: ThingIdentity): Promise<void>;
  /**
   * Issues an active certificate for the device's CSR, bound to its thing and to the device
   * policy, so it may connect only as that thing. Throws `InvalidCsrError` for an unusable CSR.
   */
  issueCertificate(thingName: string, csrPem: string): Promise<IssuedDeviceCertificate>;
  /** Refuses the certificate from now on and unbinds it from the thing and the policy. */
  revokeCertificate(thingName: string, certificateId: string): Promise<void>;
  /** The host devices connect to over MQTT. */
  mqttEndpoint(): Promise<string>;
}

export interface ThingIdentity {
  thingName: string;
  workspaceId: string;
  deviceId: string;
}

export interface IssuedDeviceCertificate {
  certificateId: string;
  certificatePem: string;
}

/**
 * Why a control-plane call failed, in the caller's terms: `retryable` failures (throttling, the
 * service unavailable) may succeed unchanged later; the others need a different request.
 */
export type ControlPlaneFailure = 'invalid_request' | 'not_found' | 'conflict' | 'throttled' | 'unavailable' | 'denied';

const RETRYABLE: ReadonlySet<ControlPlaneFailure> = new Set(['throttled', 'unavailable']);

/** An expected failure of a control-plane adapter, carrying whether a retry may help. */
export class ControlPlaneError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly failure: ControlPlaneFailure,
    readonly operation: string,
    message: string,
  ) {
    super(`${operation}: ${message}`);
    this.name = 'ControlPlaneError';
    this.retryable = RETRYABLE.has(failure);
  }
}
