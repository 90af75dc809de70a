import { Router, type Request } from 'express';
import { AlertRulePathParams, AlertRuleRequest } from '@citus/contracts';
import { parse, workspaceOf } from '@citus/kit';
import type { AlertRuleService } from '../../app/alert-rule.service.js';

const ruleIdOf = (req: Request): string => parse(AlertRulePathParams, req.params).ruleId;

/** Alert rules under `/api/v1`: members read, developers and admins write; authenticated by the router that mounts this one. */
export function alertRuleRoutes(rules: AlertRuleService): Router {
  const router = Router();

  router.post('/alert-rules', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    res.status(201).json(await rules.create(workspace.id, parse(AlertRuleRequest, req.body)));
  });

  router.get('/alert-rules', async (req, res) => {
    res.json({ items: await rules.list(workspaceOf(req, 'user').id) });
  });

  router.get('/alert-rules/:ruleId', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(await rules.get(workspace.id, ruleIdOf(req)));
  });

  router.put('/alert-rules/:ruleId', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const ruleId = ruleIdOf(req);
    res.json(await rules.replace(workspace.id, ruleId, parse(AlertRuleRequest, req.body)));
  });

  router.delete('/alert-rules/:ruleId', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    await rules.delete(workspace.id, ruleIdOf(req));
    res.status(204).end();
  });

  return router;
}
