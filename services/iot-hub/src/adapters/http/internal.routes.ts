import { Router } from 'express';
import {
  INTERNAL_THING_NOT_FOUND,
  InternalShadowUpdate,
  InternalTelemetryIngest,
  InternalThingPathParams,
  type InternalIngestOutcome,
  type InternalShadowOutcome,
} from '@citus/contracts';
import { AppError, parse } from '@citus/kit';
import type { IngestService } from '../../app/ingest.service.js';
import type { ShadowService } from '../../app/shadow.service.js';
import type { ThingDirectory } from '../../domain/device-session.model.js';

/**
 * What other service processes ask of the hub when they run apart (mounted at `/internal/v1`,
 * behind the service token): analytics' shadow updates (alert rules' shadow actions) and the
 * telemetry its analysers store. Each names the workspace it acts for; a thing of another
 * workspace is "not found", like a missing one, so a stale or mistaken caller reaches no one
 * else's device.
 */
export function internalRoutes(shadows: Pick<ShadowService, 'update'>, ingest: Pick<IngestService, 'ingest'>, things: ThingDirectory): Router {
  const router = Router();

  const requireThingOf = (workspaceId: string, thingName: string): void => {
    if (things.workspaceOfThing(thingName) !== workspaceId) throw new AppError('not_found', INTERNAL_THING_NOT_FOUND);
  };

  // A refused update is a value (AWS's shadow error), as in one process: the caller records it.
  router.post('/things/:thingName/shadow', async (req, res) => {
    const { thingName } = parse(InternalThingPathParams, req.params);
    const { workspaceId, shadowName, body } = parse(InternalShadowUpdate, req.body);
    requireThingOf(workspaceId, thingName);
    const outcome = await shadows.update({ workspaceId, thingName, ...(shadowName === undefined ? {} : { shadowName }) }, { body });
    const answer: InternalShadowOutcome = outcome.ok ? { ok: true, value: outcome.value } : { ok: false, error: { code: outcome.error.code, message: outcome.error.message } };
    res.set('cache-control', 'no-store').json(answer);
  });

  // Answered once the message is written (or refused): the caller may count it stored.
  router.post('/telemetry', async (req, res) => {
    const { session, topic, payload } = parse(InternalTelemetryIngest, req.body);
    requireThingOf(session.workspaceId, session.thingName);
    const outcome = await ingest.ingest(session, topic, Buffer.from(payload, 'base64'));
    const answer: InternalIngestOutcome = { kind: outcome.kind };
    res.set('cache-control', 'no-store').json(answer);
  });

  return router;
}
