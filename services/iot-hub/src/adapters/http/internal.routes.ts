import { Router } from 'express';
import {
  INTERNAL_THING_NOT_FOUND,
  InternalConnectivityRequest,
  InternalShadowUpdate,
  InternalTelemetryIngest,
  InternalThingPathParams,
  type InternalConnectivity,
  type InternalIngestOutcome,
  type InternalShadowOutcome,
  type InternalThing,
} from '@citus/contracts';
import { AppError, parse } from '@citus/kit';
import type { IngestService } from '../../app/ingest.service.js';
import type { PresenceService } from '../../app/presence.service.js';
import type { ShadowService } from '../../app/shadow.service.js';
import type { ThingDirectory } from '../../domain/device-session.model.js';

/**
 * What other service processes ask of the hub when they run apart (mounted at `/internal/v1`,
 * behind the service token): whose a thing is and the shadow updates and telemetry of analytics
 * (alert rules' actions, analysers' results), and the connectivity of the registry's device lists.
 * Each names the workspace it acts for; a thing of another workspace is "not found", like a
 * missing one, so a stale or mistaken caller reaches no one else's device.
 */
export function internalRoutes(
  shadows: Pick<ShadowService, 'update'>,
  ingest: Pick<IngestService, 'ingest'>,
  things: ThingDirectory,
  presence: Pick<PresenceService, 'connectivityIn'>,
): Router {
  const router = Router();

  const requireThingOf = (workspaceId: string, thingName: string): void => {
    if (things.workspaceOfThing(thingName) !== workspaceId) throw new AppError('not_found', INTERNAL_THING_NOT_FOUND);
  };

  // Answered from the hub's own directory, so analytics needs one URL (the hub's process) whatever runs where.
  router.get('/things/:thingName', (req, res) => {
    const { thingName } = parse(InternalThingPathParams, req.params);
    const workspaceId = things.workspaceOfThing(thingName);
    if (workspaceId === undefined) throw new AppError('not_found', INTERNAL_THING_NOT_FOUND);
    const answer: InternalThing = { workspaceId };
    res.set('cache-control', 'no-store').json(answer);
  });

  // A whole device list at once. Names of other workspaces' things are left out, not refused: a
  // list is the registry's, and a thing deleted and renamed meanwhile must not fail all of it.
  router.post('/connectivity', (req, res) => {
    const { workspaceId, thingNames } = parse(InternalConnectivityRequest, req.body);
    const own = thingNames.filter((thingName) => things.workspaceOfThing(thingName) === workspaceId);
    const found = presence.connectivityIn(workspaceId, own);
    const answer: InternalConnectivity = { items: [...found].map(([thingName, connectivity]) => ({ thingName, connectivity })) };
    res.set('cache-control', 'no-store').json(answer);
  });

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
