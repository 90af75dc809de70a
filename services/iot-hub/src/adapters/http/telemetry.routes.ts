import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { TelemetryQuery, ThingName, type TelemetryPage } from '@citus/contracts';
import { badRequest, type EventBus, parse, workspaceOf } from '@citus/kit';
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
export function telemetryRoutes(repository: TelemetryRepository, events: EventBus, authenticate: RequestHandler): Router {
  const router = Router();
  router.use('/telemetry', authenticate);

  router.get('/telemetry', (req, res) => {
    const workspace = workspaceOf(req, 'user');
    const query = parse(TelemetryQuery, req.query);
    const range: TelemetryRange = {
      from: query.from,
      to: query.to,
      limit: query.limit + 1,
      order: query.order,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
    };
    const rows = repository.query(workspace.id, query.thingName, range);
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    const page: TelemetryPage = { items };
    if (rows.length > query.limit && last) page.next = encodeCursor(last);
    res.json(page);
  });

  router.get('/telemetry/dead-letters', (req, res) => {
    const workspace = workspaceOf(req, 'user');
    const { thingName } = parse(z.object({ thingName: ThingName }), req.query);
    res.json({
      count: repository.countDeadLetters(workspace.id, thingName),
      recent: repository.recentDeadLetters(workspace.id, thingName, 20),
    });
  });

  // Server-sent events of newly stored messages. Browsers read it with fetch() so the token goes
  // in the Authorization header, never in the URL.
  router.get('/telemetry/stream', (req, res) => {
    const workspace = workspaceOf(req, 'user');
    const { thingName } = parse(z.object({ thingName: ThingName }), req.query);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    const unsubscribe = events.on('telemetry.stored', (stored) => {
      if (stored.workspaceId !== workspace.id || stored.thingName !== thingName) return;
      res.write(`event: telemetry\ndata: ${JSON.stringify(stored.items)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  });

  return router;
}
