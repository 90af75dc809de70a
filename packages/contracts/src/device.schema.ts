import { z } from 'zod';
import { CodeSigningKey } from './release.schema.js';

/** AWS IoT thing names: 1-128 of letters, digits, ':', '_' and '-'. */
export const ThingName = z.string().regex(/^[a-zA-Z0-9:_-]{1,128}$/, 'invalid thing name');
export type ThingName = z.infer<typeof ThingName>;

const DeviceMetadata = z.object({
  name: z.string().trim().min(1).max(120),
  type: z.string().trim().min(1).max(64).optional(),
  location: z.string().trim().min(1).max(200).optional(),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
});

export const DeclareDeviceRequest = DeviceMetadata.strict();
export type DeclareDeviceRequest = z.infer<typeof DeclareDeviceRequest>;

export const UpdateDeviceRequest = DeviceMetadata.extend({
  type: DeviceMetadata.shape.type.nullable(),
  location: DeviceMetadata.shape.location.nullable(),
  latitude: DeviceMetadata.shape.latitude.nullable(),
  longitude: DeviceMetadata.shape.longitude.nullable(),
})
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'nothing to update' });
export type UpdateDeviceRequest = z.infer<typeof UpdateDeviceRequest>;

export const DeviceStatus = z.enum(['declared', 'active', 'revoked']);
export type DeviceStatus = z.infer<typeof DeviceStatus>;

/** Why a device's last connection ended, in AWS IoT's lifecycle-event vocabulary. */
export const DisconnectReason = z.enum([
  'CLIENT_INITIATED_DISCONNECT',
  'DUPLICATE_CLIENTID',
  'MQTT_KEEP_ALIVE_TIMEOUT',
  'CONNECTION_LOST',
  'AUTH_ERROR',
  'FORBIDDEN_ACCESS',
  'CLIENT_ERROR',
  'SERVER_INITIATED_DISCONNECT',
  /** A person's WebSocket session ended because the access token it was opened with expired. */
  'WEBSOCKET_TTL_EXPIRATION',
]);
export type DisconnectReason = z.infer<typeof DisconnectReason>;

/** Whether the device is connected to the hub, as AWS IoT fleet indexing reports it. */
export const DeviceConnectivity = z.object({
  connected: z.boolean(),
  /** Epoch ms of the last connect or disconnect; absent when the device never connected. */
  timestamp: z.number().int().optional(),
  /** Why the last connection ended; absent while connected. */
  disconnectReason: DisconnectReason.optional(),
});
export type DeviceConnectivity = z.infer<typeof DeviceConnectivity>;

export const Device = z.object({
  id: z.string(),
  thingName: ThingName,
  workspaceId: z.string(),
  name: z.string(),
  type: z.string().nullable(),
  location: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  status: DeviceStatus,
  certificateId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Answered by the registry API on every read of a device. */
  connectivity: DeviceConnectivity.optional(),
});
export type Device = z.infer<typeof Device>;

export const DeviceList = z.object({ items: z.array(Device) });
export type DeviceList = z.infer<typeof DeviceList>;

/** Answer to a declaration: the only time the activation code is ever shown. */
export const DeclaredDevice = Device.extend({
  activationCode: z.string(),
  activationExpiresAt: z.string(),
});
export type DeclaredDevice = z.infer<typeof DeclaredDevice>;

export const PemCsr = z
  .string()
  .max(8192)
  .regex(/-----BEGIN CERTIFICATE REQUEST-----[\s\S]+-----END CERTIFICATE REQUEST-----/, 'csr must be a PEM certificate request');

export const ActivationRequest = z.object({
  activationCode: z.string().trim().min(1).max(64),
  csr: PemCsr,
});
export type ActivationRequest = z.infer<typeof ActivationRequest>;

export const ActivationResponse = z.object({
  thingName: ThingName,
  certificateId: z.string(),
  certificatePem: z.string(),
  caCertificatePem: z.string(),
  /** Host name of the MQTT endpoint, as AWS IoT's `describe-endpoint` gives it. */
  mqttEndpoint: z.string(),
  mqttPort: z.number().int().positive(),
  /**
   * The workspace's code-signing key: the device keeps it and installs only releases signed with
   * it. Learnt here, over the channel the device already trusts for its certificate.
   */
  codeSigningKey: CodeSigningKey.optional(),
});
export type ActivationResponse = z.infer<typeof ActivationResponse>;
