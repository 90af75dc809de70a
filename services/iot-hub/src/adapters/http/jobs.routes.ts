import { Router, type RequestHandler } from 'express';
import { CancelJobRequest, CreateJobRequest, HistoryQuery, JobPathParams, PauseJobRequest } from '@citus/contracts';
import { parse, requireScope, workspaceOf, workspaceOfGranted } from '@citus/kit';
import type { JobControlService } from '../../app/job-control.service.js';

/**
 * The jobs control plane under `/api/v1`: reads for any member and for API keys with `jobs:read`,
 * changes for developers and admins and for API keys with `jobs:write` (a developer can deploy an
 * app asking for it, so the scope gives an app no more than its deployer has).
 */
export function jobsRoutes(control: JobControlService, authenticate: RequestHandler): Router {
  const router = Router();
  router.use('/jobs', authenticate);

  router.post('/jobs', requireScope('jobs:write'), async (req, res) => {
    const workspace = workspaceOfGranted(req, 'developer');
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

  router.get('/jobs/:jobId/events', requireScope('jobs:read'), (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(control.events(workspace.id, parse(JobPathParams, req.params).jobId, parse(HistoryQuery, req.query)));
  });

  router.post('/jobs/:jobId/cancel', requireScope('jobs:write'), async (req, res) => {
    const workspace = workspaceOfGranted(req, 'developer');
    const { jobId } = parse(JobPathParams, req.params);
    res.json(await control.cancel(workspace.id, jobId, parse(CancelJobRequest, req.body ?? {})));
  });

  router.post('/jobs/:jobId/pause', requireScope('jobs:write'), async (req, res) => {
    const workspace = workspaceOfGranted(req, 'developer');
    const { jobId } = parse(JobPathParams, req.params);
    res.json(await control.pause(workspace.id, jobId, parse(PauseJobRequest, req.body ?? {})));
  });

  router.post('/jobs/:jobId/resume', requireScope('jobs:write'), async (req, res) => {
    const workspace = workspaceOfGranted(req, 'developer');
    res.json(await control.resume(workspace.id, parse(JobPathParams, req.params).jobId));
  });

  return router;
}
