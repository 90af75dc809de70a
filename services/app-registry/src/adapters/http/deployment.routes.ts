import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
import {
  AppPathParams,
  CreateDeploymentRequest,
  DeploymentListQuery,
  DeploymentLogsQuery,
  DeploymentPathParams,
  ScaleDeploymentRequest,
  UpdateDeploymentRequest,
} from '@citus/contracts';
import { parse, requestId, workspaceOf, type EventBus, type Logger } from '@citus/kit';
import type { DeploymentService } from '../../app/deployment.service.js';
import { actorOf } from './app.routes.js';

/**
 * Deployments under `/api/v1` (issue 7 point 3); the caller is authenticated by the router that
 * mounts this one. Members see their workspace's deployments and logs; developers change them.
 */
export function deploymentRoutes(deployments: DeploymentService, events: EventBus, logger: Logger): Router {
  const router = Router();
  const log = logger.child({ module: 'deployment-logs' });
  const byId = (req: Request): string => parse(DeploymentPathParams, req.params).deploymentId;

  router.post('/apps/:appId/deployments', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const { appId } = parse(AppPathParams, req.params);
    res.status(201).json(await deployments.deploy(workspace, appId, actorOf(req), parse(CreateDeploymentRequest, req.body)));
  });

  router.get('/deployments', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(await deployments.list(workspace.id, parse(DeploymentListQuery, req.query).appId));
  });

  router.get('/deployments/:deploymentId', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(await deployments.get(workspace.id, byId(req)));
  });

  router.patch('/deployments/:deploymentId', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const deploymentId = byId(req);
    const { follow, followTag } = parse(UpdateDeploymentRequest, req.body);
    res.json(await deployments.update(workspace.id, deploymentId, follow, followTag));
  });

  router.get('/deployments/:deploymentId/logs', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    const deploymentId = byId(req);
    const { follow, tail } = parse(DeploymentLogsQuery, req.query);
    const stopped = new AbortController();
    const lines = await deployments.logs(workspace.id, deploymentId, { follow, tail, signal: stopped.signal });
    await streamLines(lines, res, events, log.child({ reqId: requestId(req as { id?: unknown }), deploymentId }), stopped);
  });

  for (const action of ['restart', 'stop'] as const) {
    router.post(`/deployments/:deploymentId/${action}`, async (req, res) => {
      const workspace = workspaceOf(req, 'developer');
      res.json(await deployments[action](workspace.id, byId(req)));
    });
  }

  router.post('/deployments/:deploymentId/scale', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const deploymentId = byId(req);
    res.json(await deployments.scale(workspace.id, deploymentId, parse(ScaleDeploymentRequest, req.body).replicas));
  });

  router.delete('/deployments/:deploymentId', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    await deployments.remove(workspace.id, byId(req));
    res.status(204).end();
  });

  return router;
}

/**
 * Chunked text, one log line per line, until the lines end, the client goes or the platform stops.
 * A client that goes ends the response and, through `stopped`, the engine's log stream at once.
 */
async function streamLines(lines: AsyncIterable<string>, res: Response, events: EventBus, log: Logger, stopped: AbortController): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  const reader = lines[Symbol.asyncIterator]();
  const gone = new Promise<'gone'>((resolve) => {
    res.once('close', () => resolve('gone'));
    const unsubscribe = events.on('platform.stopping', () => resolve('gone'));
    res.once('close', unsubscribe);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.next(), gone]);
      if (next === 'gone' || next.done) break;
      if (!res.write(`${next.value}\n`)) await Promise.race([once(res, 'drain'), gone]);
    }
  } catch (error) {
    // The engine failed mid-stream: headers are out, so the end of the text is all the client can get.
    log.warn({ err: error }, 'deployment log stream failed');
  } finally {
    stopped.abort();
    void reader.return?.().catch(() => undefined);
    res.end();
  }
}
