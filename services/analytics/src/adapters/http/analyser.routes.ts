import { Router, type Request } from 'express';
import { AnalyserPathParams, AnalyserRequest } from '@citus/contracts';
import { parse, workspaceOf } from '@citus/kit';
import type { AnalyserConfigService } from '../../app/analyser-config.service.js';

const analyserIdOf = (req: Request): string => parse(AnalyserPathParams, req.params).analyserId;

/**
 * Analysers under `/api/v1`: members read, admins write, since an analyser sends the secret it names
 * to its endpoint (a developer could otherwise point one at their own server and read any secret).
 * Authenticated by the router that mounts this one.
 */
export function analyserRoutes(analysers: AnalyserConfigService): Router {
  const router = Router();

  router.post('/analysers', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    res.status(201).json(await analysers.create(workspace.id, parse(AnalyserRequest, req.body)));
  });

  router.get('/analysers', async (req, res) => {
    res.json({ items: await analysers.list(workspaceOf(req, 'user').id) });
  });

  router.get('/analysers/:analyserId', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(await analysers.get(workspace.id, analyserIdOf(req)));
  });

  router.put('/analysers/:analyserId', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const analyserId = analyserIdOf(req);
    res.json(await analysers.replace(workspace.id, analyserId, parse(AnalyserRequest, req.body)));
  });

  router.delete('/analysers/:analyserId', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    await analysers.delete(workspace.id, analyserIdOf(req));
    res.status(204).end();
  });

  return router;
}
