import { z } from 'zod';

/**
 * AWS IoT policies (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html), as the
 * built-in hub understands them: Allow/Deny statements on the MQTT actions, over ARNs of clients,
 * topics and topic filters. Conditions and NotAction/NotResource are not supported.
 */

/** Policy names as AWS IoT's CreatePolicy takes them: 1-128 of `[\w+=,.@-]`. */
export const PolicyName = z.string().regex(/^[\w+=,.@-]{1,128}$/, 'policy names are 1-128 of letters, digits and _+=,.@-');
export type PolicyName = z.infer<typeof PolicyName>;

/** Certificate ids as AWS IoT and the platform make them: the SHA-256 fingerprint, 64 hex digits. */
const CertificateIdParam = z.string().regex(/^[0-9a-f]{64}$/, 'certificate ids are 64 lowercase hex digits');

export const POLICY_ACTIONS = ['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:*'] as const;
export const PolicyAction = z.enum(POLICY_ACTIONS, {
  error: (issue) => `unknown action ${JSON.stringify(issue.input)}: the hub knows ${POLICY_ACTIONS.join(', ')}`,
});
export type PolicyAction = z.infer<typeof PolicyAction>;

/** The policy variables the hub substitutes in a resource before matching. */
export const POLICY_VARIABLES = ['iot:ClientId', 'iot:Connection.Thing.ThingName'] as const;
export type PolicyVariable = (typeof POLICY_VARIABLES)[number];

/**
 * `arn:{partition}:iot:{region}:{account}:{resource}`; the capture is `{resource}`, e.g.
 * `topic/telemetry/*`. A topic may hold `:`, so region and account end at the first two colons.
 */
export const POLICY_RESOURCE_ARN = /^arn:aws(?:-cn|-us-gov)?:iot:[^:]*:[^:]*:(.+)$/;

/** AWS IoT's limit on a policy document: 2048 characters, whitespace not counted. */
export const MAX_POLICY_DOCUMENT_CHARS = 2048;

const RESOURCE_PART = /^(?:\*|\?|client\/|topic\/|topicfilter\/)/;
const VARIABLE = /\$\{([^}]*)\}/g;

/** Why a resource is not one the hub can evaluate, or undefined when it is. */
function resourceProblem(resource: string): string | undefined {
  const arn = resource === '*' ? ['', '*'] : POLICY_RESOURCE_ARN.exec(resource);
  if (!arn) return 'a resource is "*" or an ARN arn:aws:iot:{region}:{account}:{client|topic|topicfilter}/{name}';
  if (!RESOURCE_PART.test(arn[1] as string)) return 'the hub evaluates client/, topic/ and topicfilter/ resources only';
  for (const [, name] of resource.matchAll(VARIABLE)) {
    if (!(POLICY_VARIABLES as readonly string[]).includes(name as string)) {
      return `unsupported policy variable \${${name}}: the hub substitutes ${POLICY_VARIABLES.map((v) => `\${${v}}`).join(' and ')}`;
    }
  }
  if (resource.replace(VARIABLE, '').includes('${')) return 'a policy variable ${...} is not closed';
  return undefined;
}

export const PolicyResource = z
  .string()
  .min(1)
  .max(MAX_POLICY_DOCUMENT_CHARS)
  .superRefine((resource, ctx) => {
    const problem = resourceProblem(resource);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem}: ${resource}` });
  });

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);

export const PolicyStatement = z.strictObject(
  {
    Sid: z.string().regex(/^[A-Za-z0-9]*$/, 'Sid is letters and digits').optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: oneOrMany(PolicyAction),
    Resource: oneOrMany(PolicyResource),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unsupported statement element ${issue.keys.join(', ')}: the hub supports Sid, Effect, Action and Resource`
        : undefined,
  },
);
export type PolicyStatement = z.infer<typeof PolicyStatement>;

/** An AWS IoT policy document, e.g. `{Version: "2012-10-17", Statement: [{Effect, Action, Resource}]}`. */
export const PolicyDocument = z
  .strictObject({
    Version: z.literal('2012-10-17', { error: 'Version must be "2012-10-17"' }),
    Id: z.string().optional(),
    Statement: oneOrMany(PolicyStatement),
  })
  .superRefine((document, ctx) => {
    const chars = JSON.stringify(document).replace(/\s/g, '').length;
    if (chars > MAX_POLICY_DOCUMENT_CHARS) {
      ctx.addIssue({ code: 'custom', message: `a policy document has at most ${MAX_POLICY_DOCUMENT_CHARS} characters without whitespace (this one ${chars})` });
    }
  });
export type PolicyDocument = z.infer<typeof PolicyDocument>;

export const CreatePolicyRequest = z.strictObject({ policyName: PolicyName, policyDocument: PolicyDocument });
export type CreatePolicyRequest = z.infer<typeof CreatePolicyRequest>;

/** Replaces a policy's document; its version goes up by one. */
export const UpdatePolicyRequest = z.strictObject({ policyDocument: PolicyDocument });
export type UpdatePolicyRequest = z.infer<typeof UpdatePolicyRequest>;

export const PolicySummary = z.object({
  policyName: PolicyName,
  /** 1 at creation, one more with each replaced document. */
  version: z.number().int().positive(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PolicySummary = z.infer<typeof PolicySummary>;

export const Policy = PolicySummary.extend({ policyDocument: PolicyDocument });
export type Policy = z.infer<typeof Policy>;

export const PolicyList = z.object({ items: z.array(PolicySummary) });
export type PolicyList = z.infer<typeof PolicyList>;

export const PolicyPathParams = z.object({ policyName: PolicyName });
export const PolicyTargetPathParams = z.object({ policyName: PolicyName, certificateId: CertificateIdParam });
export const CertificatePathParams = z.object({ certificateId: CertificateIdParam });

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  errors?: Issue[][];
}

const at = (value: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((inner, key) => (inner !== null && typeof inner === 'object' ? (inner as Record<PropertyKey, unknown>)[key] : undefined), value);

/**
 * Zod reports a failed "one or an array" union (`Statement`, `Action`, `Resource`) with both
 * branches nested; a person wants the branch of the form they sent, with full paths. `input` is
 * what was validated.
 */
export function policyIssues(issues: readonly Issue[], input: unknown, prefix: PropertyKey[] = []): Array<{ path: PropertyKey[]; message: string }> {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code !== 'invalid_union' || issue.errors?.length !== 2) return [{ path, message: issue.message }];
    // The single form is the first branch of `oneOrMany`, the array the second.
    const branch = issue.errors[Array.isArray(at(input, path)) ? 1 : 0] as Issue[];
    return policyIssues(branch, input, path);
  });
}
