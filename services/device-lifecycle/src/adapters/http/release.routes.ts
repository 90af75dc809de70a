import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { CreateDownloadLinkRequest, CreateReleaseRequest, DownloadTokenParams, HistoryQuery, ReleasePathParams, type Release } from '@citus/contracts';
import { accessOf, AppError, parse, workspaceOf } from '@citus/kit';
import type { ReleaseService } from '../../app/release.service.js';

const ARTIFACT_TYPE = 'application/octet-stream';

/** Who acted, for a release's history: the person's username, or the API key's id. */
function actorOf(req: Request): string {
  const access = accessOf(req);
  return access.apiKey ? `api-key ${access.apiKey.id}` : access.username;
}

/** An artifact's bytes with what lets the receiver check them on the way. */
async function sendArtifact(res: Response, release: Release, body: Readable): Promise<void> {
  res.set({
    'content-type': ARTIFACT_TYPE,
    'content-length': String(release.size),
    'content-disposition': `attachment; filename="${release.releaseId}-${release.version}.bin"`,
    etag: `"${release.sha256}"`,
    'x-citus-sha256': release.sha256,
    'cache-control': 'no-store',
  });
  await pipeline(body, res);
}

/**
 * Software releases under `/api/v1` (issue 6). Members read; developers and admins of the
 * workspace create releases and upload artifacts. Roles are checked before an artifact is read.
 */
export function releaseRoutes(releases: ReleaseService, authenticate: RequestHandler, maxArtifactBytes: number): Router {
  const router = Router();

  // The device has no account here: the token in the path is its credential (and is kept out of logs).
  router.get('/release-downloads/:token', async (req, res) => {
    const { release, body, downloadedBy } = await releases.openDownload(parse(DownloadTokenParams, req.params).token);
    await sendArtifact(res, release, body);
    // Only a whole download counts (express answers HEAD with this route too, without the body).
    if (req.method === 'GET') releases.recordDownload(release.releaseId, downloadedBy);
  });

  router.use(['/releases', '/code-signing-key'], authenticate);

  router.post('/releases', (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    res.status(201).json(releases.create(workspace.id, parse(CreateReleaseRequest, req.body), actorOf(req)));
  });

  router.get('/releases', (req, res) => {
    res.json({ items: releases.list(workspaceOf(req, 'user').id) });
  });

  router.get('/releases/:releaseId', (req, res) => {
    res.json(releases.get(workspaceOf(req, 'user').id, parse(ReleasePathParams, req.params).releaseId));
  });

  router.get('/releases/:releaseId/events', (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(releases.events(workspace.id, parse(ReleasePathParams, req.params).releaseId, parse(HistoryQuery, req.query)));
  });

  router.put('/releases/:releaseId/artifact', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const { releaseId } = parse(ReleasePathParams, req.params);
    // req.is answers null when there is no body at all, false for another type.
    const typed = req.is(ARTIFACT_TYPE);
    if (typed === null) throw new AppError('bad_request', "the upload has no body: send the artifact's bytes (at least one)");
    if (typed === false) throw new AppError('bad_request', `send the artifact as ${ARTIFACT_TYPE}`);
    // A declared length over the limit is refused before a byte is read; an undeclared one is counted.
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxArtifactBytes) throw new AppError('payload_too_large', `the artifact is larger than ${maxArtifactBytes} bytes`);
    res.json(await releases.uploadArtifact(workspace.id, releaseId, req, actorOf(req)));
  });

  router.get('/releases/:releaseId/artifact', async (req, res) => {
    const { releaseId } = parse(ReleasePathParams, req.params);
    const { release, body } = await releases.openArtifact(workspaceOf(req, 'user').id, releaseId);
    await sendArtifact(res, release, body);
  });

  router.post('/releases/:releaseId/download-links', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const { releaseId } = parse(ReleasePathParams, req.params);
    res.status(201).set('cache-control', 'no-store').json(await releases.createDownloadLink(workspace.id, releaseId, parse(CreateDownloadLinkRequest, req.body)));
  });

  router.get('/code-signing-key', (req, res) => {
    res.json(releases.signingKey(workspaceOf(req, 'user').id));
  });

  return router;
}
