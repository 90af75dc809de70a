import { z } from 'zod';
import { HistoryEntry, historyPage } from './history.schema.js';

/**
 * Software releases (story 3): what a workspace can roll out to its devices. A release is an
 * artifact uploaded to the platform (firmware, a package) or a container image for gateway
 * devices, named by its digest. Once complete it is signed with the workspace's code-signing key;
 * devices check the signature and the SHA-256 before they install anything.
 */

/** The largest artifact the API takes (the gateway's limit for the upload route too). */
export const RELEASE_ARTIFACT_MAX_MB = 256;

export const ReleaseId = z.string().regex(/^rel_[0-9a-f]{24}$/, 'a release id (rel_ and 24 hex digits)');
export type ReleaseId = z.infer<typeof ReleaseId>;

/** A version as devices report it (`reported.software`): semantic versions and the like. */
export const ReleaseVersion = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, 'letters, digits and . + _ - (starting with a letter or digit)');
export type ReleaseVersion = z.infer<typeof ReleaseVersion>;

/**
 * A container image pinned by digest (`registry/name[:tag]@sha256:<64 hex>`): a tag can be moved
 * to other bytes after the release is signed, a digest cannot.
 */
export const PinnedImage = z
  .string()
  .max(512)
  .regex(/^[a-z0-9][a-z0-9._\-/:]*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?@sha256:[0-9a-f]{64}$/, 'an image pinned by digest: name[:tag]@sha256:<64 hex digits>');
export type PinnedImage = z.infer<typeof PinnedImage>;

const Notes = z.string().max(10_000);

export const CreateReleaseRequest = z.discriminatedUnion('kind', [
  /** The artifact's bytes follow with `PUT /api/v1/releases/{releaseId}/artifact`. */
  z.strictObject({ kind: z.literal('artifact'), version: ReleaseVersion, notes: Notes.optional() }),
  z.strictObject({ kind: z.literal('container'), version: ReleaseVersion, notes: Notes.optional(), image: PinnedImage }),
]);
export type CreateReleaseRequest = z.infer<typeof CreateReleaseRequest>;

/** `awaiting-artifact` until the bytes are uploaded; `ready` (hashed and signed) from then on. */
export const ReleaseStatus = z.enum(['awaiting-artifact', 'ready']);
export type ReleaseStatus = z.infer<typeof ReleaseStatus>;

export const SIGNATURE_ALGORITHM = 'Ed25519';

/** What the code-signing key signed: the release's manifest (`releaseManifest`), with the key's id. */
export const ReleaseSignature = z.object({
  algorithm: z.literal(SIGNATURE_ALGORITHM),
  keyId: z.string(),
  /** Base64 of the signature over the UTF-8 bytes of `releaseManifest(release)`. */
  value: z.string(),
});
export type ReleaseSignature = z.infer<typeof ReleaseSignature>;

export const Release = z.object({
  releaseId: ReleaseId,
  kind: z.enum(['artifact', 'container']),
  version: ReleaseVersion,
  notes: z.string().optional(),
  status: ReleaseStatus,
  /** Container releases only. */
  image: PinnedImage.optional(),
  /** Hex SHA-256 of the artifact, or the image's digest; once ready. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** Bytes of the artifact; artifact releases, once ready. */
  size: z.number().int().nonnegative().optional(),
  signature: ReleaseSignature.optional(),
  createdAt: z.string(),
  readyAt: z.string().optional(),
});
export type Release = z.infer<typeof Release>;

export const ReleaseList = z.object({ items: z.array(Release) });
export type ReleaseList = z.infer<typeof ReleaseList>;

export const ReleasePathParams = z.object({ releaseId: ReleaseId });
export type ReleasePathParams = z.infer<typeof ReleasePathParams>;

/** The longest a device download link lives (AWS's presigned URLs for jobs allow up to an hour too). */
export const MAX_DOWNLOAD_LINK_SECONDS = 3600;

export const CreateDownloadLinkRequest = z.strictObject({
  /** The device the link is for: a thing of the workspace. */
  thingName: z.string().min(1).max(128),
  expiresInSec: z.number().int().min(60).max(MAX_DOWNLOAD_LINK_SECONDS).default(900),
});
export type CreateDownloadLinkRequest = z.input<typeof CreateDownloadLinkRequest>;

export const DownloadLink = z.object({
  /**
   * From the platform's root, e.g. `/api/v1/release-downloads/eyJ…`: the device resolves it against
   * the URL it activated with. The path is the credential, so it is kept out of logs.
   */
  path: z.string(),
  expiresAt: z.string(),
});
export type DownloadLink = z.infer<typeof DownloadLink>;

export const DownloadTokenParams = z.object({ token: z.string().min(16).max(2048).regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a download token') });
export type DownloadTokenParams = z.infer<typeof DownloadTokenParams>;

/** The workspace's code-signing public key, for devices and anyone checking a release. */
export const CodeSigningKey = z.object({
  algorithm: z.literal(SIGNATURE_ALGORITHM),
  /** Hex of the first 16 bytes of the SHA-256 of the key's SPKI (DER). */
  keyId: z.string(),
  publicKeyPem: z.string(),
});
export type CodeSigningKey = z.infer<typeof CodeSigningKey>;

/** What a job document names to have a device install a release; `url` is resolved per device. */
export const RELEASE_UPDATE_OPERATION = 'citus:install-release';

/** A Docker container name, as the engine allows them. */
export const ContainerName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'a container name: letters, digits, _ . - (at most 128)');
export type ContainerName = z.infer<typeof ContainerName>;

/**
 * The job document of an update: the release as signed, where the device downloads it (artifact
 * releases), and, for a container release, the one container of the gateway to replace. The
 * container's name is not signed: it says where the signed image goes, and a gateway replaces only
 * the containers it was told it may (`citus-device updates --containers`).
 */
export const ReleaseUpdateDocument = z.object({
  operation: z.literal(RELEASE_UPDATE_OPERATION),
  container: z.object({ name: ContainerName }).optional(),
  release: z.object({
    workspaceId: z.string(),
    releaseId: ReleaseId,
    kind: z.enum(['artifact', 'container']),
    version: ReleaseVersion,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().nonnegative().optional(),
    image: PinnedImage.optional(),
    signature: ReleaseSignature,
    /** A download link for the receiving device, from the platform's root (artifact releases). */
    url: z.string().optional(),
  }),
});
export type ReleaseUpdateDocument = z.infer<typeof ReleaseUpdateDocument>;

/**
 * The update job document for a ready release: its signed fields and the placeholder the hub turns
 * into each device's link; a container release also names the gateway's container it replaces.
 */
export function releaseUpdateDocument(workspaceId: string, release: Release, target: { containerName?: string } = {}): ReleaseUpdateDocument {
  if (release.status !== 'ready' || !release.sha256 || !release.signature) throw new Error(`release ${release.releaseId} is not ready`);
  if (release.kind === 'container' && !target.containerName) throw new Error(`release ${release.releaseId} is a container image: name the container it replaces`);
  const { releaseId, kind, version, sha256, size, image, signature } = release;
  return {
    operation: RELEASE_UPDATE_OPERATION,
    ...(kind === 'container' && target.containerName ? { container: { name: ContainerName.parse(target.containerName) } } : {}),
    release: {
      workspaceId,
      releaseId,
      kind,
      version,
      sha256,
      ...(size === undefined ? {} : { size }),
      ...(image === undefined ? {} : { image }),
      signature,
      ...(kind === 'artifact' ? { url: `\${citus:release-download:${releaseId}}` } : {}),
    },
  };
}

/** The fields a release's signature covers, in this order. */
export interface ReleaseManifestFields {
  workspaceId: string;
  releaseId: string;
  kind: 'artifact' | 'container';
  version: string;
  sha256: string;
  /** Artifact releases. */
  size?: number;
  /** Container releases. */
  image?: string;
}

/**
 * The exact bytes (as UTF-8) a release's signature is made over, the same on the platform and on
 * the device: JSON of the fields in a fixed order, absent ones left out. The workspace is in it, so
 * a release signed for one workspace is no release of another's.
 */
export function releaseManifest(fields: ReleaseManifestFields): string {
  const { workspaceId, releaseId, kind, version, sha256, size, image } = fields;
  return JSON.stringify({ v: 1, workspaceId, releaseId, kind, version, sha256, ...(size === undefined ? {} : { size }), ...(image === undefined ? {} : { image }) });
}

/**
 * What happened to a release, in order: created (by whom), its upload failed (why), ready (the
 * hash, size and signing key), and each download by a device (`thingName`).
 */
export const ReleaseEventType = z.enum(['release.created', 'release.upload-failed', 'release.ready', 'release.downloaded']);
export type ReleaseEventType = z.infer<typeof ReleaseEventType>;

export const ReleaseHistoryEvent = HistoryEntry.extend({
  type: ReleaseEventType,
  /** The person (username) or API key that acted, for created and uploads. */
  actor: z.string().optional(),
  thingName: z.string().optional(),
});
export type ReleaseHistoryEvent = z.infer<typeof ReleaseHistoryEvent>;

export const ReleaseEventPage = historyPage(ReleaseHistoryEvent);
export type ReleaseEventPage = z.infer<typeof ReleaseEventPage>;
