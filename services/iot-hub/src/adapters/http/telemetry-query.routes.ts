import { Router, type Request, type RequestHandler } from 'express';
import {
  TelemetryAggregatesQuery,
  TelemetryLatestQuery,
  telemetryTopic,
  type TelemetryAggregates,
  type TelemetryLatest,
} from '@citus/contracts';
import { badRequest, notFound, parse, requireScope, workspaceOf } from '@citus/kit';
import type { ThingDirectory } from '../../domain/device-session.model.js';
import { aggregateWindow, type TelemetryQueries } from '../../domain/telemetry-buckets.rules.js';

/** Telemetry queries: a field downsampled into time buckets, and the latest message per stream. */
export function telemetryQueryRoutes(
  queries: TelemetryQueries,
  things: ThingDirectory,
  authenticate: RequestHandler,
  now: () => number = Date.now,
): Router {
  const router = Router();

  /** Things named in a request must all be of the caller's workspace: another's is "not found". */
  const ownedThings = (req: Request, thingNames: readonly string[]): string => {
    const workspace = workspaceOf(req, 'user');
    const foreign = thingNames.find((thingName) => things.workspaceOfThing(thingName) !== workspace.id);
    if (foreign !== undefined) throw notFound(`thing ${foreign}`);
    return workspace.id;
  };

  router.get('/telemetry/aggregates', authenticate, requireScope('telemetry:read'), async (req, res) => {
    const query = parse(TelemetryAggregatesQuery, req.query);
    const workspaceId = ownedThings(req, [query.thingName]);
    const window = aggregateWindow(query, now());
    if ('problem' in window) throw badRequest(window.problem);
    const topic = query.stream === undefined ? undefined : telemetryTopic(query.thingName, query.stream);
    const buckets = await queries.aggregate({ workspaceId, thingName: query.thingName, topic }, query.field, window);
    if ('problem' in buckets) throw badRequest(buckets.problem);
    const answer: TelemetryAggregates = {
      thingName: query.thingName,
      field: query.field,
      ...(query.stream === undefined ? {} : { stream: query.stream }),
      ...window,
      buckets,
    };
    res.json(answer);
  });

  router.get('/telemetry/latest', authenticate, requireScope('telemetry:read'), async (req, res) => {
    const query = parse(TelemetryLatestQuery, req.query);
    if (query.thingName !== undefined) {
      const workspaceId = ownedThings(req, query.thingName);
      const answer: TelemetryLatest = { items: await queries.latest(workspaceId, query.thingName) };
      res.json(answer);
      return;
    }
    const workspaceId = workspaceOf(req, 'user').id;
    res.json(await latestPage(queries, things, workspaceId, query));
  });

  return router;
}

/**
 * A page of the workspace's things with telemetry. The telemetry of a deleted thing may outlive
 * it; such a thing is skipped, so a page may hold fewer than `limit` things and still have a next.
 */
async function latestPage(
  queries: TelemetryQueries,
  things: ThingDirectory,
  workspaceId: string,
  query: TelemetryLatestQuery,
): Promise<TelemetryLatest> {
  const names = await queries.thingsWithTelemetry(workspaceId, query.limit + 1, query.cursor);
  const page = names.slice(0, query.limit);
  const current = page.filter((thingName) => things.workspaceOfThing(thingName) === workspaceId);
  const answer: TelemetryLatest = { items: await queries.latest(workspaceId, current) };
  if (names.length > query.limit) answer.next = page.at(-1);
  return answer;
}
