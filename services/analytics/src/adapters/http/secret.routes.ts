import { Router } from 'express';
import { PutSecretRequest, SecretPathParams } from '@citus/contracts';
import { parse, workspaceOf } from '@citus/kit';
import type { SecretService } from '../../app/secret.service.js';

/** Workspace secrets under `/api/v1`, for workspace admins; the caller is authenticated by the router that mounts this one. */
export function secretRoutes(secrets: SecretService): Router {
  const router = Router();

  router.put('/secrets/:name', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const { name } = parse(SecretPathParams, req.params);
    const { value } = parse(PutSecretRequest, req.body);
    res.json(await secrets.put(workspace.id, name, value));
  });

  router.get('/secrets', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    res.setHeader('cache-control', 'no-store').json({ items: await secrets.list(workspace.id) });
  });

  router.delete('/secrets/:name', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    await secrets.delete(workspace.id, parse(SecretPathParams, req.params).name);
    res.status(204).end();
  });

  return router;
}
