import { Router, type RequestHandler } from 'express';
import { CreateTopicRuleRequest, ReplaceTopicRuleRequest, TopicRulePathParams, type TopicRuleList } from '@citus/contracts';
import { parse, workspaceOf } from '@citus/kit';
import type { TopicRuleService } from '../../app/topic-rule.service.js';

/**
 * Topic rules of the caller's workspace (reading: any member; writing: a workspace admin). The
 * role is checked before the body is read, so a plain user learns nothing about what exists.
 */
export function topicRuleRoutes(rules: TopicRuleService, authenticate: RequestHandler): Router {
  const router = Router();
  router.use('/rules', authenticate);

  router.post('/rules', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    res.status(201).json(await rules.create(workspace.id, parse(CreateTopicRuleRequest, req.body)));
  });

  router.get('/rules', (req, res) => {
    const body: TopicRuleList = { items: rules.list(workspaceOf(req, 'user').id) };
    res.json(body);
  });

  router.get('/rules/:ruleName', (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(rules.get(workspace.id, parse(TopicRulePathParams, req.params).ruleName));
  });

  router.put('/rules/:ruleName', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const { ruleName } = parse(TopicRulePathParams, req.params);
    res.json(await rules.replace(workspace.id, ruleName, parse(ReplaceTopicRuleRequest, req.body)));
  });

  router.post('/rules/:ruleName/enable', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    res.json(await rules.setDisabled(workspace.id, parse(TopicRulePathParams, req.params).ruleName, false));
  });

  router.post('/rules/:ruleName/disable', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    res.json(await rules.setDisabled(workspace.id, parse(TopicRulePathParams, req.params).ruleName, true));
  });

  router.delete('/rules/:ruleName', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    await rules.delete(workspace.id, parse(TopicRulePathParams, req.params).ruleName);
    res.status(204).end();
  });

  return router;
}
