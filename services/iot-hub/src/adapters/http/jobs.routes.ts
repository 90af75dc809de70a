import { Router, type RequestHandler } from 'express';
import { CancelJobRequest, CreateJobRequest, JobPathParams } from '@citus/contracts';
import { parse, requireScope, workspaceOf } from '@citus/kit';
import type { JobControlService } from '../../app/job-control.service.js';

/**
 * The jobs control plane under `/api/v1`: reads for any member and for API keys with `jobs:read`,
 * changes for developers and admins (a key acts as a user, so never changes jobs).
 */
export function jobsRoutes(control: JobControlService, authenticate: RequestHandler): Router {
  const router = Router();
  router.use('/jobs', authenticate);

  router.post('/jobs', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    res.status(201).json(await control.create(workspace.id, parse(CreateJobRequest, req.body)));
  });

  router.get('/jobs', requireScope('jobs:read'), (req, res) => {
    res.json({ items: control.list(workspaceOf(req, 'user').id) });
  });

  router.get('/jobs/:jobId', requireScope('jobs:read'), (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(control.get(workspace.id, parse(JobPathParams, req.params).jobId));
  });

  router.get('/jobs/:jobId/executions', requireScope('jobs:read'), (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json({ items: control.executions(workspace.id, parse(JobPathParams, req.params).jobId) });
  });

  router.post('/jobs/:jobId/cancel', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const { jobId } = parse(JobPathParams, req.params);
    res.json(await control.cancel(workspace.id, jobId, parse(CancelJobRequest, req.body ?? {})));
  });

  return router;
}
