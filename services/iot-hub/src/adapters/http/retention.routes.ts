import { Router, type RequestHandler } from 'express';
import { RetentionUpdateRequest } from '@citus/contracts';
import { parse, workspaceOf } from '@citus/kit';
import type { RetentionService } from '../../app/retention.service.js';

/**
 * The caller's workspace's telemetry retention: any member reads it, a workspace admin sets it.
 * The role is checked before the body is read, so a plain user learns nothing from a 400.
 */
export function retentionRoutes(retention: RetentionService, authenticate: RequestHandler): Router {
  const router = Router();

  router.get('/telemetry/retention', authenticate, (req, res) => {
    res.json(retention.setting(workspaceOf(req, 'user').id));
  });

  router.put('/telemetry/retention', authenticate, (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const { days } = parse(RetentionUpdateRequest, req.body);
    res.json(retention.setPeriod(workspace.id, days));
  });

  return router;
}
