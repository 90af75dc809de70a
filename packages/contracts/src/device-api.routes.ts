import type { ApiRoute } from './api-route.js';
import { ActivationCodeRenewal, DevicePathParams } from './device-api.schema.js';
import {
  ActivationRequest,
  ActivationResponse,
  DeclaredDevice,
  DeclareDeviceRequest,
  Device,
  DeviceList,
  UpdateDeviceRequest,
} from './device.schema.js';

const device = { tag: 'devices', access: 'user', workspaceScoped: true } as const;
const byId = { ...device, params: DevicePathParams } as const;

/** The device lifecycle: declaring, activating and revoking devices, and the CA they trust. */
export const DEVICE_ROUTES: ApiRoute[] = [
  {
    operationId: 'getCaCertificate',
    method: 'get',
    path: '/api/v1/ca.pem',
    summary: 'The CA certificate devices must trust for the MQTT endpoint',
    tag: 'devices',
    access: 'public',
    responses: { 200: { description: 'A PEM certificate', contentType: 'application/x-pem-file' } },
    errors: [],
  },
  {
    ...device,
    operationId: 'declareDevice',
    method: 'post',
    path: '/api/v1/devices',
    summary: 'Declare a device',
    description: 'The answer is the only time the one-time activation code is shown.',
    body: DeclareDeviceRequest,
    responses: { 201: { description: 'The device, with its activation code', schema: DeclaredDevice } },
    errors: [400, 401, 404, 413],
  },
  {
    ...device,
    operationId: 'listDevices',
    method: 'get',
    path: '/api/v1/devices',
    apiKeyScope: 'devices:read',
    summary: "List the workspace's devices",
    responses: { 200: { description: 'Devices', schema: DeviceList } },
    errors: [401, 404],
  },
  {
    ...byId,
    operationId: 'getDevice',
    method: 'get',
    path: '/api/v1/devices/{id}',
    apiKeyScope: 'devices:read',
    summary: 'Get a device',
    responses: { 200: { description: 'The device', schema: Device } },
    errors: [400, 401, 404],
  },
  {
    ...byId,
    operationId: 'updateDevice',
    method: 'patch',
    path: '/api/v1/devices/{id}',
    summary: "Change a device's metadata",
    body: UpdateDeviceRequest,
    responses: { 200: { description: 'The device', schema: Device } },
    errors: [400, 401, 404, 413],
  },
  {
    ...byId,
    operationId: 'deleteDevice',
    method: 'delete',
    path: '/api/v1/devices/{id}',
    summary: 'Delete a device, revoking its certificates',
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 401, 404],
  },
  {
    ...byId,
    operationId: 'renewActivationCode',
    method: 'post',
    path: '/api/v1/devices/{id}/activation-code',
    summary: 'A new activation code for a device that is not active',
    responses: { 200: { description: 'The new code, shown only here', schema: ActivationCodeRenewal } },
    errors: [400, 401, 404, 409],
  },
  {
    ...byId,
    operationId: 'revokeDevice',
    method: 'post',
    path: '/api/v1/devices/{id}/revoke',
    summary: "Revoke a device's certificates and close its MQTT session",
    responses: { 200: { description: 'The revoked device', schema: Device } },
    errors: [400, 401, 404],
  },
  {
    operationId: 'activateDevice',
    method: 'post',
    path: '/api/v1/devices/{id}/activation',
    summary: 'Activate a device: the platform signs its CSR',
    description:
      'The device has no account: the one-time activation code in the body is its credential. Wrong codes count ' +
      'towards a lock-out; an expired, used or locked code answers 403.',
    tag: 'devices',
    access: 'device',
    params: DevicePathParams,
    body: ActivationRequest,
    responses: { 200: { description: 'The device certificate and where to connect', schema: ActivationResponse } },
    errors: [400, 403, 404, 413],
  },
];
