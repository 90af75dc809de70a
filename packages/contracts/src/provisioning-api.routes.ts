import type { ApiRoute } from './api-route.js';
import {
  ClaimCertificate,
  ClaimCertificatePathParams,
  CreateProvisioningTemplateRequest,
  IssuedClaimCertificate,
  ProvisioningTemplate,
  ProvisioningTemplateList,
  ProvisioningTemplatePathParams,
} from './provisioning-api.schema.js';

const read = { tag: 'provisioning', access: 'user', workspaceScoped: true } as const;
const write = { tag: 'provisioning', access: 'workspace-admin', workspaceScoped: true } as const;
const TEMPLATE = '/api/v1/provisioning-templates/{name}';

/**
 * Fleet provisioning by claim: templates, and the claim certificates a batch of devices shares at
 * manufacture to provision itself over MQTT. A template of another workspace answers 404.
 */
export const PROVISIONING_ROUTES: ApiRoute[] = [
  {
    ...write,
    operationId: 'createProvisioningTemplate',
    method: 'post',
    path: '/api/v1/provisioning-templates',
    summary: 'Create a fleet provisioning template',
    description:
      'The thing name RegisterThing creates is `thingNamePrefix` followed by the value of the parameter ' +
      '`thingNameParameter` (`SerialNumber` unless set), which devices must send. `deviceConfiguration` values may ' +
      'reference parameters as `{{Name}}`.',
    body: CreateProvisioningTemplateRequest,
    responses: { 201: { description: 'The template', schema: ProvisioningTemplate } },
    errors: [400, 401, 403, 404, 409, 413],
  },
  {
    ...read,
    operationId: 'listProvisioningTemplates',
    method: 'get',
    path: '/api/v1/provisioning-templates',
    summary: "List the workspace's provisioning templates",
    responses: { 200: { description: 'Templates', schema: ProvisioningTemplateList } },
    errors: [401, 404],
  },
  {
    ...read,
    operationId: 'getProvisioningTemplate',
    method: 'get',
    path: TEMPLATE,
    params: ProvisioningTemplatePathParams,
    summary: 'Get a provisioning template',
    responses: { 200: { description: 'The template', schema: ProvisioningTemplate } },
    errors: [400, 401, 404],
  },
  {
    ...write,
    operationId: 'deleteProvisioningTemplate',
    method: 'delete',
    path: TEMPLATE,
    params: ProvisioningTemplatePathParams,
    summary: 'Delete a provisioning template, revoking its claim certificates',
    description: 'Things already provisioned from it stay; certificates not yet registered can no longer be.',
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404],
  },
  {
    ...write,
    operationId: 'createClaimCertificate',
    method: 'post',
    path: `${TEMPLATE}/claim-certificates`,
    params: ProvisioningTemplatePathParams,
    summary: 'A new claim certificate and its private key, for a batch of devices',
    description:
      'The one case where the platform makes a key pair: a claim certificate is shared by the devices of a batch ' +
      'at manufacture. The key is shown only in this answer and never stored. A claim certificate may connect with ' +
      "any client id that is not a thing's name and use only the fleet provisioning topics of its template.",
    responses: { 201: { description: 'The certificate and its key, shown only here', schema: IssuedClaimCertificate } },
    errors: [400, 401, 403, 404],
  },
  {
    ...write,
    operationId: 'revokeClaimCertificate',
    method: 'post',
    path: `${TEMPLATE}/claim-certificates/{certificateId}/revoke`,
    params: ClaimCertificatePathParams,
    summary: 'Revoke a claim certificate',
    description: 'Devices already provisioned with it keep their own certificates.',
    responses: { 200: { description: 'The revoked claim certificate', schema: ClaimCertificate } },
    errors: [400, 401, 403, 404],
  },
];
