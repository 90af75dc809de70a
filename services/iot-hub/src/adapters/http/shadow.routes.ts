import { Router, type Request, type RequestHandler } from 'express';
import { ShadowPathParams, ShadowQuery } from '@citus/contracts';
import { AppError, badRequest, conflict, notFound, parse, requireScope, workspaceOf } from '@citus/kit';
import type { ShadowService, ShadowTarget } from '../../app/shadow.service.js';
import type { ThingDirectory } from '../../domain/device-session.model.js';
import type { Checked, ShadowError } from '../../domain/shadow/shadow.model.js';

const PATH = '/things/:thingName/shadow';

/** AWS's shadow error as the platform's error envelope. */
function toAppError(error: ShadowError): Error {
  switch (error.code) {
    case 404:
      return new AppError('not_found', error.message);
    case 409:
      return conflict(error.message);
    case 413:
      return new AppError('payload_too_large', error.message);
    case 429:
      return new AppError('too_many_requests', error.message);
    case 500:
      return new Error(error.message);
    default:
      return badRequest(error.message);
  }
}

function answer<T>(outcome: Checked<T>): T {
  if (!outcome.ok) throw toAppError(outcome.error);
  return outcome.value;
}

/**
 * A thing's shadows over HTTP, as AWS IoT's GetThingShadow, UpdateThingShadow and
 * DeleteThingShadow (`?name=` for a named shadow). Accepted updates and deletes are published to
 * the thing's MQTT subscribers as well.
 */
export function shadowRoutes(shadows: ShadowService, things: ThingDirectory, authenticate: RequestHandler): Router {
  const router = Router();

  /** The shadow a request names; a thing of another workspace is "not found", like a missing one. */
  const targetOf = (req: Request): ShadowTarget => {
    const workspace = workspaceOf(req, 'user');
    const { thingName } = parse(ShadowPathParams, req.params);
    if (things.workspaceOfThing(thingName) !== workspace.id) throw notFound('thing');
    const { name } = parse(ShadowQuery, req.query);
    return { workspaceId: workspace.id, thingName, shadowName: name };
  };

  router.get(PATH, authenticate, requireScope('shadows:read'), async (req, res) => {
    res.json(answer(await shadows.get(targetOf(req), { body: {} })));
  });
  router.post(PATH, authenticate, requireScope('shadows:write'), async (req, res) => {
    res.json(answer(await shadows.update(targetOf(req), { body: req.body as unknown })));
  });
  router.delete(PATH, authenticate, requireScope('shadows:write'), async (req, res) => {
    res.json(answer(await shadows.delete(targetOf(req), { body: {} })));
  });
  return router;
}
