import type { ApiRoute } from './api-route.js';
import { HistoryQuery } from './history.schema.js';
import {
  CodeSigningKey,
  CreateDownloadLinkRequest,
  CreateReleaseRequest,
  DownloadLink,
  DownloadTokenParams,
  MAX_DOWNLOAD_LINK_SECONDS,
  Release,
  ReleaseList,
  ReleaseEventPage,
  ReleasePathParams,
  RELEASE_ARTIFACT_MAX_MB,
} from './release.schema.js';

/** Any member signs in as a `user`; the handlers let only developers and admins make releases. */
const scoped = { tag: 'releases', access: 'user', workspaceScoped: true } as const;

/**
 * Software releases of the caller's workspace. Reading: any member; creating and uploading: a
 * developer or admin of the workspace. A release of another workspace answers 404.
 */
export const RELEASE_ROUTES: ApiRoute[] = [
  {
    ...scoped,
    operationId: 'createRelease',
    method: 'post',
    path: '/api/v1/releases',
    summary: 'Create a software release',
    description:
      'A container release (an image pinned by digest) is signed at once and ready. An artifact release waits for its bytes: upload them with `PUT /api/v1/releases/{releaseId}/artifact`. Developers and admins only.',
    body: CreateReleaseRequest,
    responses: { 201: { description: 'The release', schema: Release } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    ...scoped,
    operationId: 'listReleases',
    method: 'get',
    path: '/api/v1/releases',
    summary: "List the workspace's releases",
    responses: { 200: { description: 'Releases, newest first', schema: ReleaseList } },
    errors: [401, 404],
  },
  {
    ...scoped,
    operationId: 'getRelease',
    method: 'get',
    path: '/api/v1/releases/{releaseId}',
    summary: 'Get a release',
    params: ReleasePathParams,
    responses: { 200: { description: 'The release', schema: Release } },
    errors: [400, 401, 404],
  },
  {
    ...scoped,
    operationId: 'listReleaseEvents',
    method: 'get',
    path: '/api/v1/releases/{releaseId}/events',
    summary: "A release's history, oldest first: created, uploads that failed, ready, and each device's download",
    params: ReleasePathParams,
    query: HistoryQuery,
    responses: { 200: { description: 'Events', schema: ReleaseEventPage } },
    errors: [400, 401, 404],
  },
  {
    ...scoped,
    operationId: 'uploadReleaseArtifact',
    method: 'put',
    path: '/api/v1/releases/{releaseId}/artifact',
    summary: "Upload an artifact release's bytes",
    description: `The body is the artifact (\`application/octet-stream\`, at most ${RELEASE_ARTIFACT_MAX_MB} MB). The platform hashes it as it arrives, stores it, signs the release and answers it ready. A release takes its bytes once: a second upload is a 409. A workspace has at most two uploads under way at once (429 beyond). Developers and admins only.`,
    params: ReleasePathParams,
    upload: { contentType: 'application/octet-stream', maxMegabytes: RELEASE_ARTIFACT_MAX_MB },
    responses: { 200: { description: 'The release, hashed and signed', schema: Release } },
    errors: [400, 401, 403, 404, 409, 413, 429],
  },
  {
    ...scoped,
    operationId: 'downloadReleaseArtifact',
    method: 'get',
    path: '/api/v1/releases/{releaseId}/artifact',
    summary: "Download an artifact release's bytes",
    params: ReleasePathParams,
    responses: { 200: { description: 'The artifact; `X-Citus-Sha256` and `ETag` carry its SHA-256', contentType: 'application/octet-stream' } },
    errors: [400, 401, 404, 409],
  },
  {
    ...scoped,
    operationId: 'createReleaseDownloadLink',
    method: 'post',
    path: '/api/v1/releases/{releaseId}/download-links',
    summary: 'A short-lived download link for one device',
    description: `A path with a token bound to the workspace, the release and the thing, valid for \`expiresInSec\` (60–${MAX_DOWNLOAD_LINK_SECONDS}, 900 by default): what an update job hands its device. Developers and admins only.`,
    params: ReleasePathParams,
    body: CreateDownloadLinkRequest,
    responses: { 201: { description: 'The link', schema: DownloadLink } },
    errors: [400, 401, 403, 404, 409],
  },
  {
    tag: 'releases',
    access: 'device',
    operationId: 'downloadReleaseWithLink',
    method: 'get',
    path: '/api/v1/release-downloads/{token}',
    summary: "A device downloads a release's artifact with its link",
    description: 'The token in the path is the credential: it names the release and the thing, and expires. A revoked or deleted thing, an expired or altered token all answer 404.',
    params: DownloadTokenParams,
    responses: { 200: { description: 'The artifact; `X-Citus-Sha256` and `ETag` carry its SHA-256', contentType: 'application/octet-stream' } },
    errors: [400, 404],
  },
  {
    ...scoped,
    operationId: 'getCodeSigningKey',
    method: 'get',
    path: '/api/v1/code-signing-key',
    summary: "The workspace's code-signing public key",
    description: 'Releases are signed with its private key (Ed25519), which never leaves the platform\'s data dir. Devices check each release against this key.',
    responses: { 200: { description: 'The public key', schema: CodeSigningKey } },
    errors: [401, 404],
  },
];
