import { Router, type RequestHandler } from 'express';
import type { z } from 'zod';
import {
  CertificatePathParams,
  CreatePolicyRequest,
  PolicyPathParams,
  policyIssues,
  PolicyTargetPathParams,
  UpdatePolicyRequest,
  type PolicyList,
} from '@citus/contracts';
import { badRequest, parse, workspaceOf } from '@citus/kit';
import type { PolicyService } from '../../app/policy.service.js';

/** A policy body; its issues flattened so each names the element at fault (see `policyIssues`). */
function parsePolicyBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw badRequest('invalid policy', policyIssues(result.error.issues, body));
  return result.data;
}

/**
 * AWS IoT-style policies of the caller's workspace (reading: any member; writing: a workspace
 * admin) and their attachment to device certificates. The role is checked before the request is
 * read, so a plain user learns nothing about what exists.
 */
export function policyRoutes(policies: PolicyService, authenticate: RequestHandler): Router {
  const router = Router();
  router.use('/policies', authenticate);

  router.post('/policies', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const { policyName, policyDocument } = parsePolicyBody(CreatePolicyRequest, req.body);
    res.status(201).json(policies.create(workspace.id, policyName, policyDocument));
  });

  router.get('/policies', (req, res) => {
    const body: PolicyList = { items: policies.list(workspaceOf(req, 'user').id) };
    res.json(body);
  });

  router.get('/policies/:policyName', (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(policies.get(workspace.id, parse(PolicyPathParams, req.params).policyName));
  });

  router.put('/policies/:policyName', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const { policyName } = parse(PolicyPathParams, req.params);
    const { policyDocument } = parsePolicyBody(UpdatePolicyRequest, req.body);
    res.json(policies.update(workspace.id, policyName, policyDocument));
  });

  router.delete('/policies/:policyName', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    policies.delete(workspace.id, parse(PolicyPathParams, req.params).policyName);
    res.status(204).end();
  });

  router.put('/policies/:policyName/targets/:certificateId', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const { policyName, certificateId } = parse(PolicyTargetPathParams, req.params);
    policies.attach(workspace.id, policyName, certificateId);
    res.status(204).end();
  });

  router.delete('/policies/:policyName/targets/:certificateId', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const { policyName, certificateId } = parse(PolicyTargetPathParams, req.params);
    policies.detach(workspace.id, policyName, certificateId);
    res.status(204).end();
  });

  // Authenticated here rather than for all of `/certificates`, which other modules may serve.
  router.get('/certificates/:certificateId/policies', authenticate, (req, res) => {
    const workspace = workspaceOf(req, 'user');
    const { certificateId } = parse(CertificatePathParams, req.params);
    const body: PolicyList = { items: policies.attachedTo(workspace.id, certificateId) };
    res.json(body);
  });

  return router;
}
