import type { Readable } from 'node:stream';
import { BlobTooLargeError, type BlobStore } from '@citus/blob-store';
import { pageOfHistory, releaseManifest, type CodeSigningKey, type CreateReleaseRequest, type DownloadLink, type HistoryQuery, type Release, type ReleaseEventPage } from '@citus/contracts';
import { AppError, newId } from '@citus/kit';
import type { CodeSigner, DeviceStanding, DownloadLinkSigner, ReleaseCompletion, ReleaseRecord, ReleaseRepository } from '../domain/release.model.js';

export interface ReleaseServiceDeps {
  repository: ReleaseRepository;
  blobs: BlobStore;
  signer: CodeSigner;
  links: DownloadLinkSigner;
  devices: DeviceStanding;
}

export interface ReleaseServiceOptions {
  /** The largest artifact taken, in bytes. */
  maxArtifactBytes: number;
}

/** Uploads one workspace may have under way at once (each may spool up to maxArtifactBytes). */
const MAX_UPLOADS_PER_WORKSPACE = 2;

/** Why an upload failed, for the release's history: the refusal told to the uploader, or a cut-off upload; no internals. */
function whyUploadFailed(error: unknown): string {
  if (error instanceof AppError) return error.message;
  const code = (error as { code?: string }).code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error instanceof Error && error.message === 'aborted')) return 'the upload was cut off before its end';
  return 'the artifact could not be stored';
}

/** Workspace ids are `ws_` and hex, so they make blob keys as they are. */
const blobKeyOf = (workspaceId: string, releaseId: string): string => `${workspaceId}/releases/${releaseId}`;
/** The API's view: where the bytes sit is the platform's business. */
const view = ({ workspaceId: _workspaceId, blobKey: _blobKey, ...release }: ReleaseRecord): Release => release;

/**
 * Software releases (issue 6, story 3): created, filled with their artifact, signed once complete.
 * A release never changes after it is ready; what devices install is exactly what was signed.
 */
export class ReleaseService {
  private readonly now: () => Date;
  /** Uploads under way, by workspace. */
  private readonly uploading = new Map<string, number>();

  private readonly repository: ReleaseRepository;
  private readonly blobs: BlobStore;
  private readonly signer: CodeSigner;

  constructor(
    private readonly deps: ReleaseServiceDeps,
    private readonly options: ReleaseServiceOptions,
  ) {
    ({ repository: this.repository, blobs: this.blobs, signer: this.signer } = deps);
    this.now = () => new Date();
  }

  create(workspaceId: string, request: CreateReleaseRequest, actor?: string): Release {
    const releaseId = newId('rel');
    const createdAt = this.now().toISOString();
    const base = { workspaceId, releaseId, kind: request.kind, version: request.version, createdAt, ...(request.notes === undefined ? {} : { notes: request.notes }) };
    if (this.repository.hasVersion(workspaceId, request.kind, request.version)) {
      throw new AppError('conflict', `a ${request.kind} release of version ${request.version} exists already`);
    }
    const created = { workspaceId, releaseId, at: createdAt, type: 'release.created' as const, ...(actor ? { actor } : {}), detail: `${request.kind} ${request.version}` };
    if (request.kind === 'artifact') {
      const record: ReleaseRecord = { ...base, status: 'awaiting-artifact' };
      this.repository.insert(record, [created]);
      return view(record);
    }
    // The digest is the image's content hash: the release is complete, and signed, at once.
    const sha256 = request.image.slice(request.image.lastIndexOf('@sha256:') + '@sha256:'.length);
    const signature = this.signer.sign(workspaceId, releaseManifest({ ...base, sha256, image: request.image }));
    const record: ReleaseRecord = { ...base, status: 'ready', image: request.image, sha256, signature, readyAt: createdAt };
    this.repository.insert(record, [
      { ...created, detail: `${created.detail}: ${request.image}` },
      { workspaceId, releaseId, at: createdAt, type: 'release.ready', detail: `signed with key ${signature.keyId}` },
    ]);
    return view(record);
  }

  /** At start: uploads a stopped process left claimed go back to waiting, and their partial files go. */
  async recoverUploads(): Promise<number> {
    await this.blobs.removeLeftovers();
    return this.repository.releaseAbandonedUploads();
  }

  list(workspaceId: string): Release[] {
    return this.repository.list(workspaceId).map(view);
  }

  get(workspaceId: string, releaseId: string): Release {
    return view(this.find(workspaceId, releaseId));
  }

  /**
   * Stores the artifact while hashing it, then signs and completes the release. A release takes its
   * bytes once: the upload claims it before reading a byte, so a second one is refused at once and
   * can never replace what was signed.
   */
  async uploadArtifact(workspaceId: string, releaseId: string, body: AsyncIterable<Uint8Array>, actor?: string): Promise<Release> {
    const release = this.awaitingArtifact(workspaceId, releaseId);
    const underWay = this.uploading.get(workspaceId) ?? 0;
    if (underWay >= MAX_UPLOADS_PER_WORKSPACE) {
      throw new AppError('too_many_requests', `the workspace has ${underWay} uploads under way: wait for one to finish`);
    }
    if (!this.repository.claimUpload(workspaceId, releaseId)) throw new AppError('conflict', 'the release is taking another upload: an artifact is uploaded once');
    this.uploading.set(workspaceId, underWay + 1);
    let completion: ReleaseCompletion;
    try {
      const blobKey = blobKeyOf(workspaceId, releaseId);
      const { sha256, size } = await this.blobs.put(blobKey, body, { maxBytes: this.options.maxArtifactBytes });
      if (size === 0) {
        await this.blobs.delete(blobKey);
        throw new AppError('bad_request', 'the artifact is empty: send its bytes');
      }
      const signature = this.signer.sign(workspaceId, releaseManifest({ ...release, sha256, size }));
      completion = { sha256, size, blobKey, signature, readyAt: this.now().toISOString() };
    } catch (error) {
      this.repository.releaseUpload(workspaceId, releaseId);
      const failure = error instanceof BlobTooLargeError ? new AppError('payload_too_large', `the artifact is larger than ${this.options.maxArtifactBytes} bytes`) : error;
      this.repository.appendEvent({ workspaceId, releaseId, at: this.now().toISOString(), type: 'release.upload-failed', ...(actor ? { actor } : {}), detail: whyUploadFailed(failure) });
      throw failure;
    } finally {
      const left = (this.uploading.get(workspaceId) ?? 1) - 1;
      if (left > 0) this.uploading.set(workspaceId, left);
      else this.uploading.delete(workspaceId);
    }
    const { sha256, size, signature } = completion;
    const ready = { workspaceId, releaseId, at: completion.readyAt, type: 'release.ready' as const, ...(actor ? { actor } : {}), detail: `${size} bytes, SHA-256 ${sha256}, signed with key ${signature.keyId}` };
    if (!this.repository.complete(workspaceId, releaseId, completion, ready)) throw new Error(`release ${releaseId} lost its upload claim`);
    return view({ ...release, ...completion, status: 'ready' });
  }

  /** The bytes of a ready artifact release. */
  async openArtifact(workspaceId: string, releaseId: string): Promise<{ release: Release; body: Readable }> {
    const release = this.find(workspaceId, releaseId);
    if (release.kind !== 'artifact') throw new AppError('conflict', 'a container release has no artifact: devices pull its image');
    if (release.status !== 'ready' || !release.blobKey) throw new AppError('conflict', 'the release has no artifact yet');
    const body = await this.blobs.get(release.blobKey);
    // A plain Error: logged with its detail, answered as a bare 500.
    if (!body) throw new Error(`the artifact of release ${releaseId} (${release.blobKey}) is missing from the blob store`);
    return { release: view(release), body };
  }

  /** A link with which one thing of the workspace may download a ready artifact, until it expires. */
  async createDownloadLink(workspaceId: string, releaseId: string, { thingName, expiresInSec }: { thingName: string; expiresInSec: number }): Promise<DownloadLink> {
    const release = this.find(workspaceId, releaseId);
    if (release.kind !== 'artifact' || release.status !== 'ready') throw new AppError('conflict', 'only a ready artifact release can be downloaded');
    if (!this.deps.devices.isActiveThing(workspaceId, thingName)) throw new AppError('not_found', `no thing ${thingName}`);
    const expiresAtMs = this.now().getTime() + expiresInSec * 1000;
    const token = await this.deps.links.sign({ workspaceId, releaseId, thingName }, expiresAtMs);
    return { path: `/api/v1/release-downloads/${token}`, expiresAt: new Date(expiresAtMs).toISOString() };
  }

  /** What a device's link opens; an expired or altered link, or one of a thing since deleted, is a 404 like any unknown one. */
  async openDownload(token: string): Promise<{ release: Release; body: Readable; downloadedBy: { workspaceId: string; thingName: string } }> {
    const grant = await this.deps.links.verify(token);
    if (!grant || !this.deps.devices.isActiveThing(grant.workspaceId, grant.thingName)) throw new AppError('not_found', 'no such download: the link is unknown, expired, or its thing is gone');
    const opened = await this.openArtifact(grant.workspaceId, grant.releaseId);
    return { ...opened, downloadedBy: { workspaceId: grant.workspaceId, thingName: grant.thingName } };
  }

  /** A device downloaded the whole artifact: its first download goes into the release's history. */
  recordDownload(releaseId: string, by: { workspaceId: string; thingName: string }): void {
    this.repository.recordFirstDownload({ workspaceId: by.workspaceId, releaseId, at: this.now().toISOString(), type: 'release.downloaded', thingName: by.thingName });
  }

  /** A page of the release's history, oldest first. */
  events(workspaceId: string, releaseId: string, query: HistoryQuery): ReleaseEventPage {
    this.find(workspaceId, releaseId);
    return pageOfHistory(this.repository.eventsOf(workspaceId, releaseId, query.after, query.limit), query.limit);
  }

  signingKey(workspaceId: string): CodeSigningKey {
    return this.signer.publicKey(workspaceId);
  }

  private find(workspaceId: string, releaseId: string): ReleaseRecord {
    const release = this.repository.get(workspaceId, releaseId);
    if (!release) throw new AppError('not_found', `no release ${releaseId}`);
    return release;
  }

  private awaitingArtifact(workspaceId: string, releaseId: string): ReleaseRecord {
    const release = this.find(workspaceId, releaseId);
    if (release.kind !== 'artifact') throw new AppError('conflict', 'a container release takes no artifact: it names its image');
    if (release.status === 'ready') throw new AppError('conflict', 'the release has its artifact already: an artifact is uploaded once');
    return release;
  }
}
