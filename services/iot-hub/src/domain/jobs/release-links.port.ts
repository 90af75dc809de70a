/**
 * Port: download links to a release's artifact, each for one thing and short-lived (the registry's
 * release service makes them). What a job document's `${citus:release-download:<releaseId>}`
 * becomes when the document is sent to a thing, as AWS IoT resolves its presigned-URL placeholders.
 */
export interface ReleaseLinks {
  /** The link's path from the platform's root; rejects when the release cannot be downloaded by the thing. */
  linkFor(workspaceId: string, releaseId: string, thingName: string, expiresInSec: number): Promise<string>;
}
