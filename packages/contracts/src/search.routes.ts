import type { ApiRoute } from './api-route.js';
import { SearchRequest, SearchResults } from './search.schema.js';

/** Search across the workspace's telemetry and devices. */
export const SEARCH_ROUTES: ApiRoute[] = [
  {
    operationId: 'search',
    method: 'get',
    path: '/api/v1/search',
    summary: "Search the workspace's devices (name, type, location) and telemetry (label, unit, text values)",
    description:
      'Every word of `q` must match (words are letters and digits; other characters only separate them, so the ' +
      'text cannot carry query syntax). `kind` narrows to devices or telemetry, `thingName` to one thing, `from` and ' +
      '`to` (epoch milliseconds or ISO 8601 dates) to telemetry of that time range. Hits come best first; pass ' +
      '`next` back as `cursor` for the following page. The index is fed from the telemetry store asynchronously: ' +
      'a message is searchable shortly (normally well under a second) after it was stored. The telemetry of a ' +
      'deleted thing stays searchable, like the telemetry itself, until retention removes it.',
    tag: 'search',
    access: 'user',
    workspaceScoped: true,
    query: SearchRequest,
    responses: { 200: { description: 'A page of hits', schema: SearchResults } },
    errors: [400, 401, 404],
  },
];
