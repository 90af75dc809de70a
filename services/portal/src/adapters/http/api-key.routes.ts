import { Router, type RequestHandler } from 'express';
import { ApiKeyPathParams, CreateApiKeyRequest, type ApiKeyList } from '@citus/contracts';
import { accessOf, parse, requireRole, workspaceOf } from '@citus/kit';
import type { ApiKeyService } from '../../app/api-key.service.js';

/**
 * A workspace's API keys under `/api/v1`, for its admins. No route here takes `requireScope`, so
 * a key can never make or revoke keys.
 */
export function apiKeyRoutes(keys: ApiKeyService, authenticate: RequestHandler): Router {
  const router = Router();
  // The role comes before the body: a plain user learns 403, not what a valid request looks like.
  router.use('/api-keys', authenticate, requireRole('admin'));

  router.post('/api-keys', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const created = keys.create(workspace.id, `user:${accessOf(req).userId}`, parse(CreateApiKeyRequest, req.body));
    res.status(201).set('cache-control', 'no-store').json(created);
  });

  router.get('/api-keys', (req, res) => {
    const list: ApiKeyList = { items: keys.list(workspaceOf(req, 'admin').id) };
    res.json(list);
  });

  router.delete('/api-keys/:id', (req, res) => {
    keys.revoke(workspaceOf(req, 'admin').id, parse(ApiKeyPathParams, req.params).id);
    res.status(204).end();
  });

  return router;
}
