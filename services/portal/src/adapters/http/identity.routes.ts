import { Router, type RequestHandler } from 'express';
import { AddMemberRequest, CreateUserRequest, CreateWorkspaceRequest, TokenRequest, WorkspaceSlug } from '@citus/contracts';
import { accessOf, parse, requirePlatformAdmin } from '@citus/kit';
import type { IdentityService } from '../../app/identity.service.js';

/** Login, users, workspaces and memberships under `/api/v1`. */
export function identityRoutes(identity: IdentityService, authenticate: RequestHandler): Router {
  const router = Router();

  router.post('/auth/token', async (req, res) => {
    const { username, password } = parse(TokenRequest, req.body);
    res.set('cache-control', 'no-store').json(await identity.issueToken(username, password, req.ip));
  });

  router.get('/me', authenticate, (req, res) => {
    res.json(identity.me(accessOf(req)));
  });

  router.get('/users', authenticate, requirePlatformAdmin, (_req, res) => {
    res.json({ items: identity.listUsers() });
  });

  router.post('/users', authenticate, requirePlatformAdmin, async (req, res) => {
    res.status(201).json(await identity.createUser(parse(CreateUserRequest, req.body)));
  });

  router.get('/workspaces', authenticate, (req, res) => {
    res.json({ items: identity.listWorkspaces(accessOf(req)) });
  });

  router.post('/workspaces', authenticate, requirePlatformAdmin, (req, res) => {
    res.status(201).json(identity.createWorkspace(parse(CreateWorkspaceRequest, req.body)));
  });

  router.put('/workspaces/:slug/members', authenticate, (req, res) => {
    const slug = parse(WorkspaceSlug, req.params.slug);
    res.json(identity.addMember(accessOf(req), slug, parse(AddMemberRequest, req.body)));
  });

  return router;
}
