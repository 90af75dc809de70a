/** What one attempt at an outbound call came to: failures are values, with whether a retry may help. */
export type DeliveryAttempt =
  | { ok: true; httpStatus: number }
  | { ok: false; retryable: boolean; error: string; httpStatus?: number };

export interface WebhookRequest {
  url: string;
  body: string;
  /** The `X-Citus-Signature` header's value. */
  signature: string;
  timeoutMs: number;
}

/** Port: POSTs an alert webhook once. */
export interface WebhookSender {
  send(request: WebhookRequest): Promise<DeliveryAttempt>;
}

export interface ShadowTarget {
  workspaceId: string;
  thingName: string;
  shadowName?: string;
}

/** Port: sets desired state on a device's shadow, as a shadow update with only `state.desired` would. */
export interface DesiredStateWriter {
  setDesired(target: ShadowTarget, desired: Record<string, unknown>): Promise<{ ok: true } | { ok: false; error: string }>;
}
