import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { TelemetryQuery, TelemetryThingQuery, type DeadLetterSummary, type TelemetryPage } from '@citus/contracts';
import { badRequest, type EventBus, notFound, parse, requireScope, workspaceOf } from '@citus/kit';
import type { ThingDirectory } from '../../domain/device-session.model.js';
import type { TelemetryTable } from '../../domain/telemetry-table.port.js';
import type { TelemetryRange } from '../../domain/telemetry.model.js';

const Cursor = z.object({ epoch: z.number().int(), topic: z.string() });

const encodeCursor = (after: { epoch: number; topic: string }): string =>
  Buffer.from(JSON.stringify(after)).toString('base64url');

function decodeCursor(cursor: string): { epoch: number; topic: string } {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw badRequest('invalid cursor');
  }
}

/** Telemetry reads (story 7): a thing's series by time range, pages, a live stream, dead letters. */
export function telemetryRoutes(
  table: TelemetryTable,
  things: ThingDirectory,
  events: EventBus,
  authenticate: RequestHandler,
): Router {
  const router = Router();
  router.use('/telemetry', authenticate);

  /** The thing named in a request, which must be one of the caller's workspace: another's is "not found". */
  const ownedThing = (req: Request, thingName: string): { workspaceId: string; thingName: string } => {
    const workspace = workspaceOf(req, 'user');
    if (things.workspaceOfThing(thingName) !== workspace.id) throw notFound('thing');
    return { workspaceId: workspace.id, thingName };
  };

  router.get('/telemetry', requireScope('telemetry:read'), async (req, res) => {
    const query = parse(TelemetryQuery, req.query);
    const { workspaceId } = ownedThing(req, query.thingName);
    res.json(await readPage(table, workspaceId, query));
  });

  router.get('/telemetry/dead-letters', requireScope('telemetry:read'), async (req, res) => {
    const { workspaceId, thingName } = ownedThing(req, parse(TelemetryThingQuery, req.query).thingName);
    const [count, recent] = await Promise.all([
      table.countDeadLetters(workspaceId, thingName),
      table.recentDeadLetters(workspaceId, thingName, 20),
    ]);
    const summary: DeadLetterSummary = { count, recent };
    res.json(summary);
  });

  router.get('/telemetry/stream', requireScope('telemetry:read'), (req, res) => {
    const scope = ownedThing(req, parse(TelemetryThingQuery, req.query).thingName);
    streamTelemetry(events, scope, req, res);
  });

  return router;
}

/** One page of a thing's series; one row more than asked tells whether a next page exists. */
async function readPage(table: TelemetryTable, workspaceId: string, query: TelemetryQuery): Promise<TelemetryPage> {
  const range: TelemetryRange = {
    from: query.from,
    to: query.to,
    limit: query.limit + 1,
    order: query.order,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
  };
  const rows = await table.query(workspaceId, query.thingName, range);
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  const page: TelemetryPage = { items };
  if (rows.length > query.limit && last) page.next = encodeCursor({ epoch: last.epoch, topic: last.topic });
  return page;
}

/**
 * Server-sent events of the thing's newly stored messages, until the client goes or the platform
 * stops. Browsers read it with fetch(), so the token travels in the Authorization header, never in
 * the URL.
 */
function streamTelemetry(
  events: EventBus,
  scope: { workspaceId: string; thingName: string },
  req: Request,
  res: Response,
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write(': connected\n\n');
  const unsubscribe = events.on('telemetry.stored', (stored) => {
    if (stored.workspaceId !== scope.workspaceId || stored.thingName !== scope.thingName) return;
    res.write(`event: telemetry\ndata: ${JSON.stringify(stored.items)}\n\n`);
  });
  const unsubscribeStop = events.on('platform.stopping', () => res.end());
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  req.on('close', () => {
    clearInterval(keepAlive);
    unsubscribe();
    unsubscribeStop();
  });
}
