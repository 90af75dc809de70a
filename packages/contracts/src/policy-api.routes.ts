import type { ApiRoute } from './api-route.js';
import {
  CertificatePathParams,
  CreatePolicyRequest,
  Policy,
  PolicyList,
  PolicyPathParams,
  PolicyTargetPathParams,
  UpdatePolicyRequest,
} from './policy.schema.js';

const reader = { tag: 'policies', access: 'user', workspaceScoped: true } as const;
const writer = { tag: 'policies', access: 'workspace-admin', workspaceScoped: true } as const;

/**
 * AWS IoT-style policies of the caller's workspace and their attachment to device certificates.
 * A policy or certificate of another workspace answers 404, like one that does not exist.
 */
export const POLICY_ROUTES: ApiRoute[] = [
  {
    ...writer,
    operationId: 'createPolicy',
    method: 'post',
    path: '/api/v1/policies',
    summary: 'Create a policy',
    description: 'The document has AWS IoT\'s structure; the zod issues of an invalid one come back with the 400.',
    body: CreatePolicyRequest,
    responses: { 201: { description: 'The policy, version 1', schema: Policy } },
    errors: [400, 401, 403, 404, 409, 413],
  },
  {
    ...reader,
    operationId: 'listPolicies',
    method: 'get',
    path: '/api/v1/policies',
    summary: "List the workspace's policies",
    responses: { 200: { description: 'Policies', schema: PolicyList } },
    errors: [401, 404],
  },
  {
    ...reader,
    operationId: 'getPolicy',
    method: 'get',
    path: '/api/v1/policies/{policyName}',
    summary: 'Get a policy and its document',
    params: PolicyPathParams,
    responses: { 200: { description: 'The policy', schema: Policy } },
    errors: [400, 401, 404],
  },
  {
    ...writer,
    operationId: 'updatePolicy',
    method: 'put',
    path: '/api/v1/policies/{policyName}',
    summary: "Replace a policy's document",
    description: 'The version goes up by one; certificates it is attached to are held to the new document at once.',
    params: PolicyPathParams,
    body: UpdatePolicyRequest,
    responses: { 200: { description: 'The policy', schema: Policy } },
    errors: [400, 401, 403, 404, 413],
  },
  {
    ...writer,
    operationId: 'deletePolicy',
    method: 'delete',
    path: '/api/v1/policies/{policyName}',
    summary: 'Delete a policy that is attached to no certificate',
    params: PolicyPathParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    ...writer,
    operationId: 'attachPolicy',
    method: 'put',
    path: '/api/v1/policies/{policyName}/targets/{certificateId}',
    summary: 'Attach a policy to an active device certificate of the workspace',
    params: PolicyTargetPathParams,
    responses: { 204: { description: 'Attached (attaching again changes nothing)' } },
    errors: [400, 401, 403, 404],
  },
  {
    ...writer,
    operationId: 'detachPolicy',
    method: 'delete',
    path: '/api/v1/policies/{policyName}/targets/{certificateId}',
    summary: 'Detach a policy from a certificate',
    params: PolicyTargetPathParams,
    responses: { 204: { description: 'Detached (or was not attached)' } },
    errors: [400, 401, 403, 404],
  },
  {
    ...reader,
    operationId: 'listCertificatePolicies',
    method: 'get',
    path: '/api/v1/certificates/{certificateId}/policies',
    summary: 'The policies attached to an active device certificate of the workspace',
    description: 'The default device policy applies to every device certificate besides these and is not listed.',
    params: CertificatePathParams,
    responses: { 200: { description: 'Attached policies', schema: PolicyList } },
    errors: [400, 401, 404],
  },
];
