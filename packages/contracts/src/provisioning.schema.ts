import { z } from 'zod';
import { PemCsr, ThingName } from './device.schema.js';

/*
 * Payloads of AWS IoT's fleet provisioning MQTT API ("Device provisioning MQTT API" in the AWS IoT
 * Developer Guide), as the SDK's `iotidentity` client sends and reads them. Only the `json` payload
 * format is served.
 */

/**
 * A provisioning template's name, as AWS IoT allows it: 1-36 of letters, digits, `_` and `-`
 * (CreateProvisioningTemplate's `templateName`).
 */
export const ProvisioningTemplateName = z
  .string()
  .regex(/^[0-9A-Za-z_-]{1,36}$/, 'a template name is 1-36 of letters, digits, _ and -');
export type ProvisioningTemplateName = z.infer<typeof ProvisioningTemplateName>;

/** A parameter's name: what `{{Name}}` references in a template. */
export const ProvisioningParameterName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a parameter name is a letter then up to 63 letters, digits or _');

/**
 * `RegisterThing` parameters, as AWS IoT limits them: string values, keys up to 2048 and values up
 * to 4096 characters.
 */
export const ProvisioningParameters = z.record(z.string().max(2048), z.string().max(4096));
export type ProvisioningParameters = z.infer<typeof ProvisioningParameters>;

/**
 * The certificate ownership token: the device's proof that it holds the new certificate. An empty
 * or missing one is refused by RegisterThing itself, with AWS's InvalidCertificateOwnershipToken.
 */
export const CertificateOwnershipToken = z.string().max(1024).default('');

/** Every rejection of the provisioning API, on the request topic's `/rejected` reply topic. */
export const ProvisioningRejection = z.object({
  statusCode: z.number().int(),
  errorCode: z.string(),
  errorMessage: z.string(),
});
export type ProvisioningRejection = z.infer<typeof ProvisioningRejection>;

/** `$aws/certificates/create/json`: the payload is empty (or `{}`, as the SDK sends it). */
export const CreateKeysAndCertificateRequest = z.object({});
export type CreateKeysAndCertificateRequest = z.infer<typeof CreateKeysAndCertificateRequest>;

export const CreateKeysAndCertificateResponse = z.object({
  certificateId: z.string(),
  certificatePem: z.string(),
  privateKey: z.string(),
  certificateOwnershipToken: z.string(),
});
export type CreateKeysAndCertificateResponse = z.infer<typeof CreateKeysAndCertificateResponse>;

/** `$aws/certificates/create-from-csr/json`: the recommended path, the private key never leaves the device. */
export const CreateCertificateFromCsrRequest = z.object({ certificateSigningRequest: PemCsr });
export type CreateCertificateFromCsrRequest = z.infer<typeof CreateCertificateFromCsrRequest>;

export const CreateCertificateFromCsrResponse = z.object({
  certificateId: z.string(),
  certificatePem: z.string(),
  certificateOwnershipToken: z.string(),
});
export type CreateCertificateFromCsrResponse = z.infer<typeof CreateCertificateFromCsrResponse>;

/** `$aws/provisioning-templates/{templateName}/provision/json`. */
export const RegisterThingRequest = z.object({
  certificateOwnershipToken: CertificateOwnershipToken,
  parameters: ProvisioningParameters.optional(),
});
export type RegisterThingRequest = z.infer<typeof RegisterThingRequest>;

export const RegisterThingResponse = z.object({
  thingName: ThingName,
  deviceConfiguration: z.record(z.string(), z.string()),
});
export type RegisterThingResponse = z.infer<typeof RegisterThingResponse>;
