import type { ApiRoute } from './api-route.js';
import { CodeSigningKey, CreateReleaseRequest, Release, ReleaseList, ReleasePathParams, RELEASE_ARTIFACT_MAX_MB } from './release.schema.js';

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
    operationId: 'uploadReleaseArtifact',
    method: 'put',
    path: '/api/v1/releases/{releaseId}/artifact',
    summary: "Upload an artifact release's bytes",
    description: `The body is the artifact (\`application/octet-stream\`, at most ${RELEASE_ARTIFACT_MAX_MB} MB). The platform hashes it as it arrives, stores it, signs the release and answers it ready. A release takes its bytes once: a second upload is a 409. Developers and admins only.`,
    params: ReleasePathParams,
    upload: { contentType: 'application/octet-stream', maxMegabytes: RELEASE_ARTIFACT_MAX_MB },
    responses: { 200: { description: 'The release, hashed and signed', schema: Release } },
    errors: [400, 401, 403, 404, 409, 413],
  },
  {
    ...scoped,
    operationId: 'downloadReleaseArtifact',
    method: 'get',
    path: '/api/v1/releases/{releaseId}/artifact',
    summary: "Download an artifact release's bytes",
    params: ReleasePathParams,
    responses: { 200: { description: 'The artifact', contentType: 'application/octet-stream' } },
    errors: [400, 401, 404, 409],
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
