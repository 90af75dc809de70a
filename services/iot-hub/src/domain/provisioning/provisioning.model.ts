import type { ProvisioningRejection, ProvisioningTemplate } from '@citus/contracts';

/** A template as stored: the contract's shape, in one workspace. */
export interface TemplateRecord extends ProvisioningTemplate {
  workspaceId: string;
}

export type ClaimCertificateStatus = 'ACTIVE' | 'REVOKED';

/** A claim certificate: only its id and state are kept, never its key. */
export interface ClaimCertificateRecord {
  certificateId: string;
  workspaceId: string;
  templateName: string;
  status: ClaimCertificateStatus;
  notAfter: string;
  createdAt: string;
  revokedAt: string | null;
}

/**
 * A certificate made by CreateKeysAndCertificate or CreateCertificateFromCsr: PENDING_ACTIVATION,
 * unknown to the device registry (so it cannot connect) until RegisterThing presents its
 * ownership token. Only the token's hash is stored; it is bound to the claim that asked for it.
 */
export interface PendingCertificateRecord {
  certificateId: string;
  tokenHash: string;
  workspaceId: string;
  templateName: string;
  claimCertificateId: string;
  certificatePem: string;
  notAfter: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

/** Port: templates, claim certificates and pending certificates. Every template read is workspace-scoped. */
export interface ProvisioningRepository {
  /** False when the workspace already has a template of that name. */
  insertTemplate(template: TemplateRecord): boolean;
  getTemplate(workspaceId: string, name: string): TemplateRecord | undefined;
  listTemplates(workspaceId: string): TemplateRecord[];
  /**
   * Deletes the template, revokes its claim certificates and drops its unused pending certificates,
   * in one transaction. The revoked claim certificates' ids; undefined when there is no such template.
   */
  deleteTemplate(workspaceId: string, name: string, at: string): string[] | undefined;

  insertClaimCertificate(certificate: ClaimCertificateRecord): void;
  /** Unscoped, for the broker: whom a claim certificate belongs to. */
  findClaimCertificate(certificateId: string): ClaimCertificateRecord | undefined;
  /** Revokes a claim certificate of the template; undefined when the workspace's template has no such certificate. */
  revokeClaimCertificate(workspaceId: string, templateName: string, certificateId: string, at: string): ClaimCertificateRecord | undefined;

  insertPending(pending: PendingCertificateRecord): void;
  /** Unused and unexpired pending certificates a claim certificate asked for. */
  countOpenPending(claimCertificateId: string, now: string): number;
  findPendingByTokenHash(tokenHash: string): PendingCertificateRecord | undefined;
  /** Marks the token used, if it was not: true for exactly one of racing callers. */
  consumePending(tokenHash: string, at: string): boolean;
  /** Undoes `consumePending` when the registration it was for could not be made. */
  releasePending(tokenHash: string): void;
  /** Forgets pending certificates that expired before `before`. */
  prunePending(before: string): number;
}

/** The provisioning API's error codes, each with the HTTP status its rejection carries. */
export const PROVISIONING_ERRORS = {
  InvalidPayload: 400,
  UnsupportedPayloadFormat: 400,
  InvalidCertificateOwnershipToken: 400,
  InvalidParameters: 400,
  AccessDenied: 403,
  ResourceNotFound: 404,
  ResourceAlreadyExists: 409,
  Throttling: 429,
  InternalError: 500,
} as const;
export type ProvisioningErrorCode = keyof typeof PROVISIONING_ERRORS;

/** AWS's rejection document: `{statusCode, errorCode, errorMessage}`. */
export const rejection = (errorCode: ProvisioningErrorCode, errorMessage: string): ProvisioningRejection => ({
  statusCode: PROVISIONING_ERRORS[errorCode],
  errorCode,
  errorMessage,
});

/** What a provisioning request ends in: the `/accepted` document or the `/rejected` one. */
export type ProvisioningOutcome<T> = { accepted: T } | { rejected: ProvisioningRejection };
