import { z } from 'zod';
import { ProvisioningParameterName, ProvisioningTemplateName } from './provisioning.schema.js';

/** `{{Name}}` in a device configuration value: the value of parameter `Name`. */
export const PARAMETER_REFERENCE = /\{\{([^{}]*)\}\}/g;

/** A parameter the device may send; one without a default is required. */
export const ProvisioningParameterSpec = z
  .object({
    description: z.string().max(500).optional(),
    default: z.string().max(4096).optional(),
  })
  .strict();
export type ProvisioningParameterSpec = z.infer<typeof ProvisioningParameterSpec>;

/** Every `{{Name}}` in a configuration value must name a declared parameter or the thing-name parameter. */
function checkReferences(
  template: { thingNameParameter: string; parameters: Record<string, ProvisioningParameterSpec>; deviceConfiguration: Record<string, string> },
  context: z.RefinementCtx,
): void {
  const known = new Set([template.thingNameParameter, ...Object.keys(template.parameters)]);
  for (const [key, value] of Object.entries(template.deviceConfiguration)) {
    for (const [, name] of value.matchAll(PARAMETER_REFERENCE)) {
      if (!known.has(name ?? '')) {
        context.addIssue({ code: 'custom', path: ['deviceConfiguration', key], message: `{{${name}}} is not a parameter of the template` });
      }
    }
  }
  if (template.parameters[template.thingNameParameter]?.default !== undefined) {
    context.addIssue({ code: 'custom', path: ['parameters', template.thingNameParameter], message: 'the thing-name parameter cannot have a default' });
  }
}

/**
 * A fleet provisioning template, kept simpler than AWS IoT's template body: the thing name is
 * `thingNamePrefix` followed by the value of the required parameter `thingNameParameter`
 * (`SerialNumber` unless set), and `deviceConfiguration` is a string map whose values may
 * reference parameters as `{{Name}}`, answered to the device by RegisterThing.
 */
export const CreateProvisioningTemplateRequest = z
  .object({
    name: ProvisioningTemplateName,
    description: z.string().trim().max(500).optional(),
    thingNamePrefix: z.string().regex(/^[a-zA-Z0-9:_-]{0,64}$/, 'a prefix is up to 64 of letters, digits, :, _ and -').default(''),
    thingNameParameter: ProvisioningParameterName.default('SerialNumber'),
    parameters: z.record(ProvisioningParameterName, ProvisioningParameterSpec).default({}),
    deviceConfiguration: z.record(z.string().min(1).max(128), z.string().max(4096)).default({}),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine(checkReferences);
export type CreateProvisioningTemplateRequest = z.infer<typeof CreateProvisioningTemplateRequest>;

export const ProvisioningTemplate = z.object({
  name: ProvisioningTemplateName,
  description: z.string().nullable(),
  thingNamePrefix: z.string(),
  thingNameParameter: z.string(),
  parameters: z.record(z.string(), ProvisioningParameterSpec),
  deviceConfiguration: z.record(z.string(), z.string()),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ProvisioningTemplate = z.infer<typeof ProvisioningTemplate>;

export const ProvisioningTemplateList = z.object({ items: z.array(ProvisioningTemplate) });
export type ProvisioningTemplateList = z.infer<typeof ProvisioningTemplateList>;

/** AWS IoT certificate ids: the SHA-256 of the certificate's DER encoding, 64 lowercase hex digits. */
export const CertificateId = z.string().regex(/^[0-9a-f]{64}$/, 'invalid certificate id');

export const ProvisioningTemplatePathParams = z.object({ name: ProvisioningTemplateName });
export type ProvisioningTemplatePathParams = z.infer<typeof ProvisioningTemplatePathParams>;

export const ClaimCertificatePathParams = ProvisioningTemplatePathParams.extend({ certificateId: CertificateId });
export type ClaimCertificatePathParams = z.infer<typeof ClaimCertificatePathParams>;

/**
 * A new claim certificate with its private key, shown only in this answer: the platform keeps
 * neither the key nor a way to make it again.
 */
export const IssuedClaimCertificate = z.object({
  certificateId: z.string(),
  certificatePem: z.string(),
  privateKey: z.string(),
  templateName: ProvisioningTemplateName,
  notAfter: z.string(),
});
export type IssuedClaimCertificate = z.infer<typeof IssuedClaimCertificate>;

export const ClaimCertificate = z.object({
  certificateId: z.string(),
  templateName: ProvisioningTemplateName,
  status: z.enum(['ACTIVE', 'REVOKED']),
  notAfter: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type ClaimCertificate = z.infer<typeof ClaimCertificate>;
