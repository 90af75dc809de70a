import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { TelemetryQuery, TelemetryThingQuery, type DeadLetterSummary, type TelemetryPage } from '@citus/contracts';
import { badRequest, type EventBus, notFound, parse, workspaceOf } from '@citus/kit';
import type { ThingDirectory } from '../../domain/device-session.js';
import type { TelemetryRange, TelemetryRepository } from '../../domain/telemetry.js';

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
  repository: TelemetryRepository,
  things: ThingDirectory,
  events: EventBus,
  authenticate: RequestHandler,
): Router {
  const router = Router();
  router.use('/telemetry', authenticate);

  /** The thing named in the query, which must be one of the caller's workspace: another's is "not found". */
  const thingOf = (req: Request, query: unknown): { workspaceId: string; thingName: string } => {
    const workspace = workspaceOf(req, 'user');
    const { thingName } = parse(TelemetryThingQuery, query);
    if (things.workspaceOfThing(thingName) !== workspace.id) throw notFound('thing');
    return { workspaceId: workspace.id, thingName };
  };

  router.get('/telemetry', (req, res) => {
    const query = parse(TelemetryQuery, req.query);
    const { workspaceId } = thingOf(req, req.query);
    const range: TelemetryRange = {
      from: query.from,
      to: query.to,
      limit: query.limit + 1,
      order: query.order,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
    };
    const rows = repository.query(workspaceId, query.thingName, range);
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    const page: TelemetryPage = { items };
    if (rows.length > query.limit && last) page.next = encodeCursor({ epoch: last.epoch, topic: last.topic });
    res.json(page);
  });

  router.get('/telemetry/dead-letters', (req, res) => {
    const { workspaceId, thingName } = thingOf(req, req.query);
    const summary: DeadLetterSummary = {
      count: repository.countDeadLetters(workspaceId, thingName),
      recent: repository.recentDeadLetters(workspaceId, thingName, 20),
    };
    res.json(summary);
  });

  // Server-sent events of newly stored messages. Browsers read it with fetch() so the token goes
  // in the Authorization header, never in the URL.
  router.get('/telemetry/stream', (req, res) => {
    const { workspaceId, thingName } = thingOf(req, req.query);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    const unsubscribe = events.on('telemetry.stored', (stored) => {
      if (stored.workspaceId !== workspaceId || stored.thingName !== thingName) return;
      res.write(`event: telemetry\ndata: ${JSON.stringify(stored.items)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const unsubscribeStop = events.on('platform.stopping', () => res.end());
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      unsubscribeStop();
    });
  });

  return router;
}
