import type { CodeSigningKey, Release, ReleaseEventType, ReleaseHistoryEvent, ReleaseSignature } from '@citus/contracts';

/** One entry of a release's history, as stored; `at` is ISO 8601. */
export interface ReleaseEventRecord {
  workspaceId: string;
  releaseId: string;
  at: string;
  type: ReleaseEventType;
  actor?: string;
  thingName?: string;
  detail?: string;
}

/** A release as stored: the API's shape, with the workspace it belongs to and where its bytes are. */
export interface ReleaseRecord extends Release {
  workspaceId: string;
  /** The blob store's key of an artifact release's bytes, once uploaded. */
  blobKey?: string;
}

/** What completes an artifact release: its bytes are stored, hashed and signed. */
export interface ReleaseCompletion {
  sha256: string;
  size: number;
  blobKey: string;
  signature: ReleaseSignature;
  readyAt: string;
}

/** Port: releases per workspace. */
export interface ReleaseRepository {
  /** Stores the release and the first events of its history, together. */
  insert(release: ReleaseRecord, events: ReleaseEventRecord[]): void;
  get(workspaceId: string, releaseId: string): ReleaseRecord | undefined;
  /** Newest first. */
  list(workspaceId: string): ReleaseRecord[];
  /**
   * Marks a release awaiting its artifact as taking an upload, so a second upload is refused before
   * it reads a byte; false if it is not awaiting one (an upload is under way, or it is ready).
   */
  claimUpload(workspaceId: string, releaseId: string): boolean;
  /** Gives a claimed release back to waiting (its upload failed). */
  releaseUpload(workspaceId: string, releaseId: string): void;
  /** Completes a claimed release and records it in its history, together; false if it is not claimed (or is gone). */
  complete(workspaceId: string, releaseId: string, completion: ReleaseCompletion, event: ReleaseEventRecord): boolean;
  /** At start: uploads a stopped process left claimed are given back to waiting; answers how many. */
  releaseAbandonedUploads(): number;
  appendEvent(event: ReleaseEventRecord): void;
  /** Appends a download by a thing unless one is recorded already: a thing's first download is what the history keeps. */
  recordFirstDownload(event: ReleaseEventRecord & { thingName: string }): void;
  /** Up to `limit` events of the release after sequence `after`, oldest first, with their sequence. */
  eventsOf(workspaceId: string, releaseId: string, after: number, limit: number): ReleaseHistoryEvent[];
  /** Whether the workspace has a release of that kind and version. */
  hasVersion(workspaceId: string, kind: Release['kind'], version: string): boolean;
}

/**
 * Port: the workspace's code-signing key. Its private half stays where the signer keeps it (the
 * data dir, mode 0600); what leaves is the public key and signatures.
 */
export interface CodeSigner {
  publicKey(workspaceId: string): CodeSigningKey;
  /** Signs the UTF-8 bytes of `message` with the workspace's key, making the key on first use. */
  sign(workspaceId: string, message: string): ReleaseSignature;
}

/** Who may download what: a thing of the workspace, one release. */
export interface DownloadGrant {
  workspaceId: string;
  releaseId: string;
  thingName: string;
}

/** Port: the tokens of devices' download links; only the service that makes them reads them. */
export interface DownloadLinkSigner {
  sign(grant: DownloadGrant, expiresAtMs: number): Promise<string>;
  /** The grant of a valid token; undefined when it is expired, altered or not one of ours. */
  verify(token: string): Promise<DownloadGrant | undefined>;
}

/** Port: whether a thing belongs to a workspace and may still connect (not deleted, a certificate not revoked). */
export interface DeviceStanding {
  isActiveThing(workspaceId: string, thingName: string): boolean;
}
