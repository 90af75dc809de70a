import type {
  ClaimCertificate,
  CreateCertificateFromCsrResponse,
  CreateKeysAndCertificateResponse,
  CreateProvisioningTemplateRequest,
  IssuedClaimCertificate,
  ProvisioningTemplate,
  RegisterThingRequest,
  RegisterThingResponse,
} from '@citus/contracts';
import { conflict, notFound, type Logger } from '@citus/kit';
import type { ProvisioningCertificateAuthority, SignedCertificate } from '../domain/provisioning/provisioning-ca.port.js';
import {
  type ClaimCertificateRecord,
  type ProvisioningOutcome,
  type ProvisioningRepository,
  rejection,
  type TemplateRecord,
} from '../domain/provisioning/provisioning.model.js';
import {
  applyTemplate,
  checkOwnershipToken,
  claimCommonName,
  hashOwnershipToken,
  newOwnershipToken,
  OWNERSHIP_TOKEN_TTL_MS,
  PROVISIONED_COMMON_NAME,
} from '../domain/provisioning/provisioning.rules.js';
import type { ThingRegistrar } from '../domain/provisioning/thing-registrar.port.js';

/** The connection of a claim certificate, as the broker authenticated it. */
export interface Claim {
  certificateId: string;
  workspaceId: string;
  templateName: string;
}

export interface ProvisioningServiceOptions {
  logger: Logger;
  now?: () => Date;
  /** Open (unused, unexpired) certificates one claim certificate may hold at once: a leaked claim cannot fill the disk. */
  maxOpenPerClaim?: number;
}

const TOKEN_MESSAGES = {
  unknown: 'the certificate ownership token is unknown to this claim',
  expired: 'the certificate ownership token has expired (it is valid one hour): create a new certificate',
  used: 'the certificate ownership token has already been used',
} as const;

/** Fleet provisioning by claim (AWS IoT's device provisioning MQTT API) and its templates. */
export class ProvisioningService {
  private readonly now: () => Date;
  private readonly maxOpenPerClaim: number;

  constructor(
    private readonly repository: ProvisioningRepository,
    private readonly ca: ProvisioningCertificateAuthority,
    private readonly registrar: ThingRegistrar,
    private readonly options: ProvisioningServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.maxOpenPerClaim = options.maxOpenPerClaim ?? 1_000;
  }

  createTemplate(workspaceId: string, request: CreateProvisioningTemplateRequest): ProvisioningTemplate {
    const at = this.now().toISOString();
    const template: TemplateRecord = {
      workspaceId,
      name: request.name,
      description: request.description ?? null,
      thingNamePrefix: request.thingNamePrefix,
      thingNameParameter: request.thingNameParameter,
      parameters: request.parameters,
      deviceConfiguration: request.deviceConfiguration,
      enabled: request.enabled,
      createdAt: at,
      updatedAt: at,
    };
    if (!this.repository.insertTemplate(template)) throw conflict(`a provisioning template named ${request.name} exists`);
    return withoutWorkspace(template);
  }

  listTemplates(workspaceId: string): ProvisioningTemplate[] {
    return this.repository.listTemplates(workspaceId).map(withoutWorkspace);
  }

  getTemplate(workspaceId: string, name: string): ProvisioningTemplate {
    return withoutWorkspace(this.template(workspaceId, name));
  }

  /** Deletes the template; its claim certificates are revoked. Returns their ids, for closing their sessions. */
  deleteTemplate(workspaceId: string, name: string): string[] {
    const revoked = this.repository.deleteTemplate(workspaceId, name, this.now().toISOString());
    if (!revoked) throw notFound('provisioning template');
    return revoked;
  }

  async createClaimCertificate(workspaceId: string, templateName: string): Promise<IssuedClaimCertificate> {
    this.template(workspaceId, templateName);
    const issued = await this.ca.issueKeyAndCertificate(claimCommonName(templateName));
    const record: ClaimCertificateRecord = {
      certificateId: issued.certificateId,
      workspaceId,
      templateName,
      status: 'ACTIVE',
      notAfter: issued.notAfter.toISOString(),
      createdAt: this.now().toISOString(),
      revokedAt: null,
    };
    this.repository.insertClaimCertificate(record);
    return { certificateId: issued.certificateId, certificatePem: issued.certificatePem, privateKey: issued.privateKeyPem, templateName, notAfter: record.notAfter };
  }

  revokeClaimCertificate(workspaceId: string, templateName: string, certificateId: string): ClaimCertificate {
    const revoked = this.repository.revokeClaimCertificate(workspaceId, templateName, certificateId, this.now().toISOString());
    if (!revoked) throw notFound('claim certificate');
    const { workspaceId: _workspace, ...certificate } = revoked;
    return certificate;
  }

  /** For the broker: the template an active, unexpired claim certificate provisions with. */
  claimCertificate(certificateId: string): { workspaceId: string; templateName: string } | undefined {
    const claim = this.repository.findClaimCertificate(certificateId);
    if (!claim || claim.status !== 'ACTIVE' || Date.parse(claim.notAfter) <= this.now().getTime()) return undefined;
    if (!this.repository.getTemplate(claim.workspaceId, claim.templateName)) return undefined;
    return { workspaceId: claim.workspaceId, templateName: claim.templateName };
  }

  /** CreateKeysAndCertificate: the hub makes the key because the AWS API does; create-from-csr is the better path. */
  async createKeysAndCertificate(claim: Claim): Promise<ProvisioningOutcome<CreateKeysAndCertificateResponse>> {
    const throttled = this.throttled(claim);
    if (throttled) return throttled;
    const issued = await this.ca.issueKeyAndCertificate(PROVISIONED_COMMON_NAME);
    const token = this.storePending(claim, issued);
    return { accepted: { certificateId: issued.certificateId, certificatePem: issued.certificatePem, privateKey: issued.privateKeyPem, certificateOwnershipToken: token } };
  }

  async createCertificateFromCsr(claim: Claim, csrPem: string): Promise<ProvisioningOutcome<CreateCertificateFromCsrResponse>> {
    const throttled = this.throttled(claim);
    if (throttled) return throttled;
    const signing = await this.ca.signCsr(csrPem, PROVISIONED_COMMON_NAME);
    if ('invalid' in signing) return { rejected: rejection('InvalidPayload', signing.invalid) };
    const token = this.storePending(claim, signing.signed);
    return { accepted: { certificateId: signing.signed.certificateId, certificatePem: signing.signed.certificatePem, certificateOwnershipToken: token } };
  }

  /**
   * RegisterThing. The token is consumed before the thing is made, so two racing requests cannot
   * both register; if the registry refuses the thing, the token is given back for another try.
   */
  async registerThing(claim: Claim, templateName: string, request: RegisterThingRequest): Promise<ProvisioningOutcome<RegisterThingResponse>> {
    if (templateName !== claim.templateName) {
      return { rejected: rejection('AccessDenied', `this claim certificate provisions only with template ${claim.templateName}`) };
    }
    const template = this.repository.getTemplate(claim.workspaceId, templateName);
    if (!template) return { rejected: rejection('ResourceNotFound', `provisioning template ${templateName} not found`) };
    if (!template.enabled) return { rejected: rejection('AccessDenied', `provisioning template ${templateName} is disabled`) };
    // AWS IoT's own words for it (statusCode 400, InvalidCertificateOwnershipToken).
    if (request.certificateOwnershipToken === '') return { rejected: rejection('InvalidCertificateOwnershipToken', 'Certificate ownership token cannot be empty.') };
    const tokenHash = hashOwnershipToken(request.certificateOwnershipToken);
    const pending = this.repository.findPendingByTokenHash(tokenHash);
    const problem = checkOwnershipToken(pending, claim, this.now());
    if (problem || !pending) return { rejected: rejection('InvalidCertificateOwnershipToken', TOKEN_MESSAGES[problem ?? 'unknown']) };
    const registration = applyTemplate(template, request.parameters);
    if ('invalid' in registration) return { rejected: rejection('InvalidParameters', registration.invalid) };
    if (!this.repository.consumePending(tokenHash, this.now().toISOString())) {
      return { rejected: rejection('InvalidCertificateOwnershipToken', TOKEN_MESSAGES.used) };
    }
    const result = await this.registrar.registerThing({
      workspaceId: claim.workspaceId,
      thingName: registration.thingName,
      certificateId: pending.certificateId,
      certificatePem: pending.certificatePem,
      notAfter: new Date(pending.notAfter),
    });
    if (!result.registered) {
      this.repository.releasePending(tokenHash);
      if (result.reason === 'thing-name-taken') {
        return { rejected: rejection('ResourceAlreadyExists', `a thing named ${registration.thingName} already exists`) };
      }
      return { rejected: rejection('InvalidParameters', `${registration.thingName} is not a valid thing name`) };
    }
    this.options.logger.info({ thingName: registration.thingName, certificateId: pending.certificateId, templateName }, 'thing provisioned');
    return { accepted: { thingName: registration.thingName, deviceConfiguration: registration.deviceConfiguration } };
  }

  private template(workspaceId: string, name: string): TemplateRecord {
    const template = this.repository.getTemplate(workspaceId, name);
    if (!template) throw notFound('provisioning template');
    return template;
  }

  private throttled(claim: Claim): { rejected: ReturnType<typeof rejection> } | undefined {
    const now = this.now();
    // Expired tokens are kept an hour more, so a late RegisterThing hears "expired", not "unknown".
    this.repository.prunePending(new Date(now.getTime() - OWNERSHIP_TOKEN_TTL_MS).toISOString());
    if (this.repository.countOpenPending(claim.certificateId, now.toISOString()) < this.maxOpenPerClaim) return undefined;
    return { rejected: rejection('Throttling', 'too many certificates of this claim await RegisterThing: register or let them expire') };
  }

  /** Keeps the new certificate PENDING_ACTIVATION under the hash of a fresh token; returns the token. */
  private storePending(claim: Claim, certificate: SignedCertificate): string {
    const now = this.now();
    const { token, tokenHash } = newOwnershipToken();
    this.repository.insertPending({
      certificateId: certificate.certificateId,
      tokenHash,
      workspaceId: claim.workspaceId,
      templateName: claim.templateName,
      claimCertificateId: claim.certificateId,
      certificatePem: certificate.certificatePem,
      notAfter: certificate.notAfter.toISOString(),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + OWNERSHIP_TOKEN_TTL_MS).toISOString(),
      usedAt: null,
    });
    return token;
  }
}

function withoutWorkspace(template: TemplateRecord): ProvisioningTemplate {
  const { workspaceId: _workspace, ...rest } = template;
  return rest;
}
