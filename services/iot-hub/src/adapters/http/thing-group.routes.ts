import { Router, type RequestHandler } from 'express';
import { CreateThingGroupRequest, ThingGroupMemberPathParams, ThingGroupPathParams, type ThingGroupList, type ThingGroupMembers } from '@citus/contracts';
import { parse, workspaceOf } from '@citus/kit';
import type { ThingGroupService } from '../../app/thing-group.service.js';

/**
 * Thing groups of the caller's workspace (reading: any member; writing: a workspace admin). The
 * role is checked before the body is read, so a plain user learns nothing about what exists.
 */
export function thingGroupRoutes(groups: ThingGroupService, authenticate: RequestHandler): Router {
  const router = Router();
  router.use('/thing-groups', authenticate);

  router.post('/thing-groups', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    res.status(201).json(groups.create(workspace.id, parse(CreateThingGroupRequest, req.body)));
  });

  router.get('/thing-groups', (req, res) => {
    const body: ThingGroupList = { items: groups.list(workspaceOf(req, 'user').id) };
    res.json(body);
  });

  router.get('/thing-groups/:groupName', (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(groups.get(workspace.id, parse(ThingGroupPathParams, req.params).groupName));
  });

  router.delete('/thing-groups/:groupName', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    groups.delete(workspace.id, parse(ThingGroupPathParams, req.params).groupName);
    res.status(204).end();
  });

  router.get('/thing-groups/:groupName/things', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    const members = await groups.members(workspace.id, parse(ThingGroupPathParams, req.params).groupName);
    const body: ThingGroupMembers = { items: members.map((thingName) => ({ thingName })) };
    res.json(body);
  });

  router.put('/thing-groups/:groupName/things/:thingName', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const { groupName, thingName } = parse(ThingGroupMemberPathParams, req.params);
    groups.addThing(workspace.id, groupName, thingName);
    res.status(204).end();
  });

  router.delete('/thing-groups/:groupName/things/:thingName', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const { groupName, thingName } = parse(ThingGroupMemberPathParams, req.params);
    groups.removeThing(workspace.id, groupName, thingName);
    res.status(204).end();
  });

  return router;
}
