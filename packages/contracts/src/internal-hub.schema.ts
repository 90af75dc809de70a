import { z } from 'zod';
import { DeviceConnectivity, ThingName } from './device.schema.js';
import { MAX_DOWNLOAD_LINK_SECONDS, ReleaseId } from './release.schema.js';

/**
 * The links between the hub and the device registry (device-lifecycle) over the internal API
 * (`/internal/v1`, behind the service token), for when the two run in processes of their own.
 * The registry owns the CA, whose key never leaves its process: the hub makes its own key pairs
 * and sends CSRs. The hub owns presence: the registry asks it for a list's connectivity at once.
 * The registry owns devices' metadata: the hub asks it for a list's attributes at once.
 */

const WorkspaceId = z.string().min(1).max(64);

/** A CSR in PEM; what is inside is the CA's to check (an unusable one answers 400 with why). */
const CsrPem = z.string().min(1).max(16_384);

/** `GET /ca` (registry): the device CA's certificate, which devices and the hub's TLS trust. */
export const InternalCaCertificate = z.object({ certificatePem: z.string().includes('-----BEGIN CERTIFICATE-----') });
export type InternalCaCertificate = z.infer<typeof InternalCaCertificate>;

/**
 * The subject of a client certificate the hub has signed: a thing name, or fleet provisioning's
 * fixed names (`Citus IoT provisioned device`, `Citus IoT claim <template>`). At most 64
 * characters (RFC 5280's ub-common-name), and none that could start another part of the name.
 */
export const CertificateCommonName = z.string().regex(/^[A-Za-z0-9 :_-]{1,64}$/, '1-64 of letters, digits, spaces, :, _ and -');

/** `POST /ca/device-certificates` (registry): a client certificate for the CSR's key, CN = `commonName`. */
export const InternalDeviceCsr = z.strictObject({ commonName: CertificateCommonName, csr: CsrPem });
export type InternalDeviceCsr = z.infer<typeof InternalDeviceCsr>;

export const InternalSignedCertificate = z.object({
  certificateId: z.string().regex(/^[0-9a-f]{64}$/),
  certificatePem: z.string().includes('-----BEGIN CERTIFICATE-----'),
  notAfter: z.iso.datetime(),
});
export type InternalSignedCertificate = z.infer<typeof InternalSignedCertificate>;

/** A DNS name or an IP address, as a server certificate names it. */
const HostName = z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'a host name or IP address');

/**
 * `POST /ca/server-certificates` (registry): the hub's TLS server certificate for the CSR's key.
 * Only names the registry itself allows (403 otherwise), so a leaked service token cannot mint a
 * certificate for a name devices would trust.
 */
export const InternalServerCsr = z.strictObject({ hostnames: z.array(HostName).min(1).max(64), csr: CsrPem });
export type InternalServerCsr = z.infer<typeof InternalServerCsr>;

export const InternalServerCertificate = z.object({ certificatePem: z.string().includes('-----BEGIN CERTIFICATE-----') });
export type InternalServerCertificate = z.infer<typeof InternalServerCertificate>;

/**
 * `POST /provisioned-things` (registry): fleet provisioning's RegisterThing. The certificate must
 * be one the registry's CA signed; its id and expiry are read from it, never taken on trust.
 */
export const InternalThingRegistration = z.strictObject({
  workspaceId: WorkspaceId,
  thingName: z.string().min(1).max(128),
  certificatePem: z.string().min(1).max(16_384),
});
export type InternalThingRegistration = z.infer<typeof InternalThingRegistration>;

/** The registry's outcome as a value: a refused name is the device's to hear, not an error. */
export const InternalRegistrationOutcome = z.discriminatedUnion('registered', [
  z.object({ registered: z.literal(true) }),
  z.object({ registered: z.literal(false), reason: z.enum(['thing-name-taken', 'invalid-thing-name']) }),
]);
export type InternalRegistrationOutcome = z.infer<typeof InternalRegistrationOutcome>;

/**
 * `POST /release-links` (registry): a release download link for one thing, which the hub puts in
 * a job document it sends that thing. The registry checks the thing is in the workspace.
 */
export const InternalReleaseLinkRequest = z.strictObject({
  workspaceId: WorkspaceId,
  releaseId: ReleaseId,
  thingName: z.string().min(1).max(128),
  expiresInSec: z.number().int().min(60).max(MAX_DOWNLOAD_LINK_SECONDS),
});
export type InternalReleaseLinkRequest = z.infer<typeof InternalReleaseLinkRequest>;

export const InternalReleaseLink = z.object({ path: z.string() });
export type InternalReleaseLink = z.infer<typeof InternalReleaseLink>;

/** How many thing names one connectivity request may carry; a longer list is asked in parts. */
export const MAX_CONNECTIVITY_BATCH = 500;

/** `POST /connectivity` (hub): the connectivity of the workspace's things among these names. */
export const InternalConnectivityRequest = z.strictObject({
  workspaceId: WorkspaceId,
  thingNames: z.array(ThingName).max(MAX_CONNECTIVITY_BATCH),
});
export type InternalConnectivityRequest = z.infer<typeof InternalConnectivityRequest>;

/**
 * Only things of the workspace the hub has seen connect: a name of another workspace, or of a
 * thing that never connected, is left out (the registry answers it as not connected).
 */
export const InternalConnectivity = z.object({
  items: z.array(z.object({ thingName: ThingName, connectivity: DeviceConnectivity })).max(MAX_CONNECTIVITY_BATCH),
});
export type InternalConnectivity = z.infer<typeof InternalConnectivity>;

/** How many thing names one attributes request may carry; a longer list is asked in parts. */
export const MAX_ATTRIBUTES_BATCH = 500;

/**
 * A device's metadata as declared (`POST /api/v1/devices`), as a dynamic thing group's query reads
 * it: fleet indexing's `attributes.name`, `attributes.type` and so on. An attribute the device was
 * declared without is absent, so `attributes.type:*` matches only devices that have a type.
 */
export const ThingAttributes = z.object({
  name: z.string(),
  type: z.string().optional(),
  location: z.string().optional(),
  latitude: z.number().optional(),
  longitude: z.number().optional(),
});
export type ThingAttributes = z.infer<typeof ThingAttributes>;

/** `POST /thing-attributes` (registry): the attributes of the workspace's things among these names. */
export const InternalThingAttributesRequest = z.strictObject({
  workspaceId: WorkspaceId,
  thingNames: z.array(ThingName).max(MAX_ATTRIBUTES_BATCH),
});
export type InternalThingAttributesRequest = z.infer<typeof InternalThingAttributesRequest>;

/** Only things of the workspace: a name of another workspace's thing, or of none, is left out. */
export const InternalThingAttributes = z.object({
  items: z.array(z.object({ thingName: ThingName, attributes: ThingAttributes })).max(MAX_ATTRIBUTES_BATCH),
});
export type InternalThingAttributes = z.infer<typeof InternalThingAttributes>;
