import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { createProxyMiddleware, fixRequestBody } from 'http-proxy-middleware';
import { z } from 'zod';
import { API_KEY_HEADER, AppName, WorkspaceSlug, type ErrorEnvelope } from '@citus/contracts';
import { acceptAnyApiKey, AppError, forbidden, notFound, requestId, WORKSPACE_HEADER, workspaceOf, type Logger } from '@citus/kit';
import type { DeploymentRoute, DeploymentService } from '../../app/deployment.service.js';

const MOUNT = '/apps/:workspaceSlug/:appName';

/**
 * Every proxied page gets its own opaque origin (a CSP sandbox without allow-same-origin): apps are
 * served from the platform's origin, and their scripts must not read what the portal keeps there
 * (its tokens) nor call the API as the signed-in member. An app's own CSP still applies beside it.
 */
const SANDBOX = 'sandbox allow-scripts allow-forms allow-popups allow-downloads allow-modals';

/** Headers meant for the platform, never for an app. */
const PLATFORM_HEADERS = ['authorization', API_KEY_HEADER, WORKSPACE_HEADER, 'cookie'];

const ProxyParams = z.object({ workspaceSlug: WorkspaceSlug, appName: AppName });
type ProxyParams = z.infer<typeof ProxyParams>;

/** A path that names no possible workspace or app leads nowhere, like one naming none that exists. */
function proxyParams(req: Request): ProxyParams {
  const params = ProxyParams.safeParse(req.params);
  if (!params.success) throw notFound('app deployment');
  return params.data;
}

/** Where each request goes, found after authentication and read by the proxy's router and path rewrite. */
const targets = new WeakMap<IncomingMessage, DeploymentRoute & { prefix: string }>();

function targetOf(req: IncomingMessage): DeploymentRoute & { prefix: string } {
  const target = targets.get(req);
  if (!target) throw new Error('proxied request without a target');
  return target;
}

/**
 * Runs the platform's authentication with the workspace the URL names; not a member of it (nor a
 * key of it) is 403. Any API key of the workspace gets in: what it may do in the app, the app decides.
 */
function memberOfNamedWorkspace(authenticate: RequestHandler): RequestHandler {
  return async (req, res, next) => {
    const { workspaceSlug } = proxyParams(req);
    req.headers[WORKSPACE_HEADER] = workspaceSlug;
    try {
      await new Promise<void>((done, fail) => {
        Promise.resolve(authenticate(req, res, (error?: unknown) => (error ? fail(error) : done()))).catch(fail);
      });
    } catch (error) {
      // The resolver answers not_found for a workspace that is not the caller's, whether or not it exists.
      throw error instanceof AppError && error.code === 'not_found' ? forbidden(`not a member of workspace ${workspaceSlug}`) : error;
    }
    acceptAnyApiKey(req, res, next);
  };
}

/** `/apps/w/a` -> `/apps/w/a/`, so the app's relative links resolve under its prefix. */
const withTrailingSlash: RequestHandler = (req, res, next) => {
  const [path = '', query] = req.originalUrl.split('?', 2);
  if (req.url.split('?')[0] === '/' && !path.endsWith('/')) {
    res.redirect(308, `${path}/${query === undefined ? '' : `?${query}`}`);
    return;
  }
  next();
};

function sendUnavailable(req: IncomingMessage, res: ServerResponse, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ErrorEnvelope = { error: { code: 'unavailable', message, requestId: requestId(req as { id?: unknown }) } };
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/**
 * The way to reach deployments (issue 7 point 4; Kong's `/apps/` route leads here in compose mode):
 * `/apps/{workspace}/{app}/...` goes to a replica of the workspace's deployment of that app, where
 * the runtime says it answers, the prefix replaced by the manifest's route prefix, for signed-in
 * members of that workspace and its API keys only. Mounted at the root.
 */
export function appProxyRoutes(deployments: DeploymentService, authenticate: RequestHandler, logger: Logger): Router {
  const log = logger.child({ module: 'app-proxy' });
  const proxy = createProxyMiddleware<Request, Response>({
    router: (req) => `http://${targetOf(req).endpoint.host}:${targetOf(req).endpoint.port}`,
    pathRewrite: (path, req) => `${targetOf(req).routePrefix}${path.replace(/^\//, '')}`,
    changeOrigin: true,
    xfwd: true,
    on: {
      proxyReq: (proxyReq, req) => {
        for (const header of PLATFORM_HEADERS) proxyReq.removeHeader(header);
        proxyReq.setHeader('x-forwarded-prefix', targetOf(req).prefix);
        // The platform's JSON parser has read the body already: it is written again from req.body.
        fixRequestBody(proxyReq, req);
      },
      proxyRes: (proxyRes) => {
        // A comma separates policies in one header (CSP 3, serialized-policy-list): both are enforced.
        const own = proxyRes.headers['content-security-policy'];
        proxyRes.headers['content-security-policy'] = own ? `${own}, ${SANDBOX}` : SANDBOX;
      },
      error: (error, req, res) => {
        log.warn({ err: error, reqId: requestId(req as { id?: unknown }) }, 'app deployment did not answer');
        if ('writeHead' in res) sendUnavailable(req, res, 'the app does not answer: it may be stopped, starting or failing');
        else res.destroy();
      },
    },
  });

  const router = Router();
  router.use(MOUNT, withTrailingSlash, memberOfNamedWorkspace(authenticate), async (req: Request, res: Response, next: NextFunction) => {
    const { workspaceSlug, appName } = proxyParams(req);
    const route = await deployments.route(workspaceOf(req, 'user').id, appName);
    targets.set(req, { ...route, prefix: `/apps/${workspaceSlug}/${appName}` });
    await proxy(req, res, next);
  });
  return router;
}
