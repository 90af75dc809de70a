import { Router, type RequestHandler } from 'express';
import { SearchRequest, type SearchResults } from '@citus/contracts';
import { AppError, parse, workspaceOf } from '@citus/kit';
import type { SearchHit, SearchIndex } from '../../domain/search-index.port.js';

/** `GET /search`: the caller's workspace only; the index scopes every query by it. */
export function searchRoutes(index: SearchIndex, authenticate: RequestHandler): Router {
  const router = Router();
  router.get('/search', authenticate, async (req, res) => {
    const query = parse(SearchRequest, req.query);
    const workspace = workspaceOf(req, 'user');
    const page = await index
      .search(workspace.id, {
        text: query.q,
        kind: query.kind,
        thingName: query.thingName,
        from: query.from,
        to: query.to,
        limit: query.limit,
        cursor: query.cursor,
      })
      .catch(unavailableWhenRetryable);
    const answer: SearchResults = { items: page.items.map(toApiHit) };
    if (page.next !== undefined) answer.next = page.next;
    res.json(answer);
  });
  return router;
}

/**
 * An index failure that may pass (Elasticsearch unreachable or pushing back: a `SearchIndexError`
 * read by shape) is the service being unavailable, not an unexpected error; anything else goes on.
 */
function unavailableWhenRetryable(error: unknown): never {
  if (typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true) {
    throw new AppError('unavailable', 'the search index is unavailable; try again shortly');
  }
  throw error;
}

/** Only the documented fields: the workspace id and the free text stay inside. */
function toApiHit(hit: SearchHit): SearchResults['items'][number] {
  if (hit.kind === 'device') {
    const { thingName, name, type, location } = hit.device;
    return { kind: 'device', score: hit.score, device: { thingName, name, ...defined({ type, location }) } };
  }
  const { thingName, topic, epoch, label, unit, value } = hit.telemetry;
  return { kind: 'telemetry', score: hit.score, telemetry: { thingName, topic, epoch, ...defined({ label, unit, value }) } };
}

function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
