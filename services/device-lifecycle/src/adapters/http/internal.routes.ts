import { Router } from 'express';
import { INTERNAL_THING_NOT_FOUND, InternalThingPathParams, type InternalThing } from '@citus/contracts';
import { AppError, parse } from '@citus/kit';

/** The registry's answer to "whose thing is this", as the device service gives it. */
export interface ThingOwners {
  workspaceOfThing(thingName: string): string | undefined;
}

/**
 * What other service processes ask of the device registry when they run apart (mounted at
 * `/internal/v1`, behind the service token): the workspace a thing belongs to, so that analytics
 * can answer "not found" for another workspace's thing as it does in one process.
 */
export function internalRoutes(things: ThingOwners): Router {
  const router = Router();

  router.get('/things/:thingName', (req, res) => {
    const { thingName } = parse(InternalThingPathParams, req.params);
    const workspaceId = things.workspaceOfThing(thingName);
    if (workspaceId === undefined) throw new AppError('not_found', INTERNAL_THING_NOT_FOUND);
    const answer: InternalThing = { workspaceId };
    res.set('cache-control', 'no-store').json(answer);
  });

  return router;
}
