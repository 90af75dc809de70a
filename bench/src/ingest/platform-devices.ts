import type { TelemetryPage } from '@citus/contracts';
import { mapLimit } from '../support/async.js';
import type { RestClient } from '../support/rest-client.js';

const CONCURRENCY = 8;
const PAGE_SIZE = 1000;

/** How many messages the platform holds for one thing, read page by page through the public API. */
async function countThing(api: RestClient, thingName: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ thingName, limit: String(PAGE_SIZE) });
    if (cursor) query.set('cursor', cursor);
    const page = await api.get<TelemetryPage>(`/api/v1/telemetry?${query}`);
    count += page.items.length;
    cursor = page.next;
  } while (cursor);
  return count;
}

/** Messages durably stored for all the things, as a reader of the platform sees them. */
export async function countStored(api: RestClient, thingNames: string[]): Promise<number> {
  const counts = await mapLimit(thingNames, CONCURRENCY, (thingName) => countThing(api, thingName));
  return counts.reduce((sum, count) => sum + count, 0);
}
