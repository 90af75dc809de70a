import { z } from 'zod';
import { ThingName } from './device.schema.js';
import { TelemetryQuery } from './telemetry.schema.js';

/** The largest page of search hits. */
export const MAX_SEARCH_LIMIT = 100;
/** Longer search text says nothing more, and would only make the match expression costly. */
export const MAX_SEARCH_TEXT = 256;

/** Epoch milliseconds or an ISO 8601 date, read as the raw series read reads it. */
const TimeParam = TelemetryQuery.shape.from;

export const SearchRequest = z
  .object({
    /** Free text: words of device names, labels, units and telemetry values. */
    q: z.string().trim().min(1, 'q must hold some text').max(MAX_SEARCH_TEXT),
    kind: z.enum(['telemetry', 'device']).optional(),
    thingName: ThingName.optional(),
    from: TimeParam,
    to: TimeParam,
    limit: z.coerce.number().int().min(1).max(MAX_SEARCH_LIMIT).default(20),
    cursor: z.string().max(512).optional(),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
    message: '"from" must not be later than "to"',
    path: ['from'],
  });
export type SearchRequest = z.infer<typeof SearchRequest>;

export const DeviceSearchHit = z.object({
  kind: z.literal('device'),
  /** Relevance: higher is better; comparable only within one answer. */
  score: z.number(),
  device: z.object({
    thingName: z.string(),
    name: z.string(),
    type: z.string().optional(),
    location: z.string().optional(),
  }),
});

export const TelemetrySearchHit = z.object({
  kind: z.literal('telemetry'),
  score: z.number(),
  telemetry: z.object({
    thingName: z.string(),
    topic: z.string(),
    epoch: z.number().int(),
    label: z.string().optional(),
    unit: z.string().optional(),
    value: z.number().optional(),
  }),
});

export const SearchHit = z.discriminatedUnion('kind', [DeviceSearchHit, TelemetrySearchHit]);
export type SearchHit = z.infer<typeof SearchHit>;

/** `GET /api/v1/search`: best hits first; `next` is the cursor of the following page, when there is one. */
export const SearchResults = z.object({ items: z.array(SearchHit), next: z.string().optional() });
export type SearchResults = z.infer<typeof SearchResults>;
