import { randomBytes } from 'node:crypto';
import type { SearchResults, TelemetryPage } from '@citus/contracts';
import type { RestClient } from '../support/rest-client.js';

/** A sampled message: a unique word in its label, and when it was published. */
export interface Probe {
  thingName: string;
  /** One word of letters and digits, so the search tokenizer keeps it whole. */
  marker: string;
  label: string;
  /** `performance.now()` at publish. */
  sentAt: number;
  /** Wall-clock milliseconds just before publish: no later than the epoch the hub stores. */
  fromEpoch: number;
}

/** Probe markers unique within a run and across runs on the same data (`p<run><seq>`). */
export class ProbeMarkers {
  private readonly run = randomBytes(4).toString('hex');
  private seq = 0;

  next(): { marker: string; label: string } {
    const marker = `p${this.run}x${(this.seq++).toString(36)}`;
    return { marker, label: `bench probe ${marker}` };
  }
}

const PAGE_SIZE = 100;
const MAX_PAGES = 5;

/**
 * Whether the series read returns the probe. Items come oldest first from `fromEpoch`, so the
 * probe is among the first few of its device's messages once it is stored: only the ones the
 * device had in flight before it can come earlier.
 */
export async function isQueryable(api: RestClient, probe: Probe): Promise<boolean> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ thingName: probe.thingName, from: String(probe.fromEpoch), limit: String(PAGE_SIZE) });
    if (cursor) query.set('cursor', cursor);
    const answer = await api.get<TelemetryPage>(`/api/v1/telemetry?${query}`);
    if (answer.items.some((item) => item.payload.label === probe.label)) return true;
    cursor = answer.next;
    if (!cursor) return false;
  }
  return false;
}

/** Whether `GET /api/v1/search` finds the probe by its marker word. */
export async function isIndexed(api: RestClient, probe: Probe): Promise<boolean> {
  const query = new URLSearchParams({ q: probe.marker, kind: 'telemetry', thingName: probe.thingName, limit: '5' });
  const answer = await api.get<SearchResults>(`/api/v1/search?${query}`);
  return answer.items.some((hit) => hit.kind === 'telemetry' && hit.telemetry.label === probe.label);
}
