import { Router, type RequestHandler, type Response } from 'express';
import { AnomalyQuery, AnomalyStreamQuery, type AnomalyStreamQuery as StreamFilter } from '@citus/contracts';
import { parse, requireScope, workspaceOf, type EventBus } from '@citus/kit';
import type { AnomalyQueryService } from '../../app/anomaly-query.service.js';

/** `GET /anomalies` and its live stream: the caller's workspace only, read by any member. */
export function anomalyRoutes(queries: AnomalyQueryService, events: EventBus, authenticate: RequestHandler): Router {
  const router = Router();

  router.get('/anomalies', authenticate, requireScope('telemetry:read'), (req, res) => {
    const query = parse(AnomalyQuery, req.query);
    const workspace = workspaceOf(req, 'user');
    res.json(queries.list(workspace.id, query));
  });

  router.get('/anomalies/stream', authenticate, requireScope('telemetry:read'), (req, res) => {
    const filter = parse(AnomalyStreamQuery, req.query);
    streamAnomalies(events, workspaceOf(req, 'user').id, filter, res);
  });

  return router;
}

/**
 * Output a stream may have queued unsent before it is ended: a client that reads slower than
 * anomalies come (or not at all) is let go instead of growing the server's memory; it reconnects
 * and reads the rest from `GET /anomalies`.
 */
export const MAX_STREAM_BACKLOG_BYTES = 1024 * 1024;

/**
 * Server-sent events of the workspace's new anomalies (of one thing, when named), until the client
 * goes, reads too slowly, or the platform stops. Read with fetch(), so the token stays in the
 * Authorization header.
 */
function streamAnomalies(events: EventBus, workspaceId: string, filter: StreamFilter, res: Response): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  const send = (text: string): void => {
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > MAX_STREAM_BACKLOG_BYTES) res.destroy();
    else res.write(text);
  };
  send(': connected\n\n');
  const unsubscribe = events.on('anomaly.detected', (anomaly) => {
    if (anomaly.workspaceId !== workspaceId) return;
    if (filter.thingName !== undefined && anomaly.thingName !== filter.thingName) return;
    send(`event: anomaly\ndata: ${JSON.stringify(anomaly)}\n\n`);
  });
  const unsubscribeStop = events.on('platform.stopping', () => res.end());
  const keepAlive = setInterval(() => send(': keep-alive\n\n'), 15_000);
  // The response's own close: it fires whether the client went, the stream was ended or destroyed.
  res.on('close', () => {
    clearInterval(keepAlive);
    unsubscribe();
    unsubscribeStop();
  });
}
