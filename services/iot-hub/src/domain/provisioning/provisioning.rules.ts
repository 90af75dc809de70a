import { createHash, randomBytes } from 'node:crypto';
import { PARAMETER_REFERENCE, ThingName, type ProvisioningParameters } from '@citus/contracts';
import type { PendingCertificateRecord, TemplateRecord } from './provisioning.model.js';

/**
 * "For security, the certificateOwnershipToken returned by CreateCertificateFromCsr [and
 * CreateKeysAndCertificate] expires after one hour" (AWS IoT Developer Guide, device provisioning
 * MQTT API).
 */
export const OWNERSHIP_TOKEN_TTL_MS = 3_600_000;

/** Subjects of the certificates provisioning signs: the thing is not known yet, as on AWS IoT. */
export const PROVISIONED_COMMON_NAME = 'Citus IoT provisioned device';
export const claimCommonName = (templateName: string): string => `Citus IoT claim ${templateName}`;

/**
 * A token of 256 random bits. SHA-256 is enough to store it: it cannot be guessed, so no slow hash
 * is needed, and a leaked database does not give it away.
 */
export function newOwnershipToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashOwnershipToken(token) };
}

export const hashOwnershipToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export type TokenProblem = 'unknown' | 'expired' | 'used';

/**
 * Whether a pending certificate's token may register a thing for this claim: it must exist, belong
 * to the claim's workspace and template (a token of another workspace is "unknown", so it leaks
 * nothing), be unused and younger than an hour.
 */
export function checkOwnershipToken(
  pending: PendingCertificateRecord | undefined,
  claim: { workspaceId: string; templateName: string },
  now: Date,
): TokenProblem | undefined {
  if (!pending || pending.workspaceId !== claim.workspaceId || pending.templateName !== claim.templateName) return 'unknown';
  if (pending.usedAt !== null) return 'used';
  if (Date.parse(pending.expiresAt) <= now.getTime()) return 'expired';
  return undefined;
}

export type Registration = { thingName: string; deviceConfiguration: Record<string, string> } | { invalid: string };

/**
 * Applies a template to RegisterThing's parameters. Declared parameters take the device's value or
 * their default; one without a default is required, and so is the thing-name parameter. Values
 * the template does not declare are ignored. The thing name is the prefix and the thing-name
 * parameter's value, and must be a valid AWS IoT thing name.
 */
export function applyTemplate(template: TemplateRecord, parameters: ProvisioningParameters = {}): Registration {
  const values: Record<string, string> = {};
  const declared: Record<string, { default?: string }> = { ...template.parameters, [template.thingNameParameter]: {} };
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    const value = Object.hasOwn(parameters, name) ? parameters[name] : spec.default;
    if (value === undefined) missing.push(name);
    else values[name] = value;
  }
  if (missing.length > 0) return { invalid: `missing template parameter(s): ${missing.join(', ')}` };
  const serial = values[template.thingNameParameter] ?? '';
  const thingName = `${template.thingNamePrefix}${serial}`;
  // An empty value would give every device of the batch the prefix alone as its name.
  if (serial === '' || !ThingName.safeParse(thingName).success) {
    return { invalid: `parameter ${template.thingNameParameter} does not make a valid thing name (1-128 of letters, digits, :, _ and -)` };
  }
  return { thingName, deviceConfiguration: renderConfiguration(template.deviceConfiguration, values) };
}

/** Replaces each `{{Name}}` with the parameter's value; a template only references declared parameters. */
export function renderConfiguration(configuration: Record<string, string>, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(configuration).map(([key, value]) => [key, value.replace(PARAMETER_REFERENCE, (_match, name: string) => values[name] ?? '')]),
  );
}
