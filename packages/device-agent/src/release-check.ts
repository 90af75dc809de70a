import { createHash, createPublicKey, verify } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { releaseManifest, SIGNATURE_ALGORITHM, type CodeSigningKey, type ReleaseManifestFields, type ReleaseSignature } from '@citus/contracts';

/** A release as an update job hands it to the device: what its signature covers, and the signature. */
export type ReleaseToCheck = ReleaseManifestFields & { signature: ReleaseSignature };

/** What the device found in what it downloaded. */
export interface DownloadedArtifact {
  sha256: string;
  size: number;
}

export type ReleaseCheck = { ok: true } | { ok: false; reason: string };

/** SHA-256 (hex) and size of a downloaded file, read as a stream so a large artifact is not held in memory. */
export async function digestOfFile(path: string): Promise<DownloadedArtifact> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Whether the device may install a release: the signature must verify against the workspace's
 * code-signing key (trusted by the device beforehand, never taken from the job itself) over the
 * release's manifest, and what was downloaded must be exactly the signed bytes. The reason of a
 * refusal is what the device reports with FAILED.
 */
export function checkRelease(release: ReleaseToCheck, key: CodeSigningKey, downloaded?: DownloadedArtifact): ReleaseCheck {
  const { signature } = release;
  if (signature.algorithm !== SIGNATURE_ALGORITHM) return { ok: false, reason: `unsupported signature algorithm ${signature.algorithm}` };
  if (signature.keyId !== key.keyId) return { ok: false, reason: `signed with key ${signature.keyId}, not with the workspace's key ${key.keyId}` };
  const manifest = Buffer.from(releaseManifest(release), 'utf8');
  let valid: boolean;
  try {
    valid = verify(null, manifest, createPublicKey(key.publicKeyPem), Buffer.from(signature.value, 'base64'));
  } catch (error) {
    return { ok: false, reason: `the signature could not be checked: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!valid) return { ok: false, reason: 'the release signature does not verify: the release was changed or not signed by the workspace' };
  // The signed digest is the image's: what the engine pulls by it is what was signed.
  if (release.kind === 'container') return release.image?.endsWith(`@sha256:${release.sha256}`) ? { ok: true } : { ok: false, reason: 'the container image is not pinned by the signed digest' };
  if (!downloaded) return { ok: false, reason: 'an artifact release needs its downloaded bytes checked' };
  if (downloaded.size !== release.size) return { ok: false, reason: `downloaded ${downloaded.size} bytes, the release has ${release.size}` };
  if (downloaded.sha256 !== release.sha256) return { ok: false, reason: `the artifact's SHA-256 ${downloaded.sha256} is not the signed ${release.sha256}` };
  return { ok: true };
}
