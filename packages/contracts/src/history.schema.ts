import { z } from 'zod';

/** A page of a resource's history (a job's, a release's), oldest first. */
export const HistoryQuery = z
  .object({
    /** Events after this sequence number: a page's `next`, or 0 for the first page. */
    after: z.coerce.number().int().nonnegative().default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .strict();
export type HistoryQuery = z.infer<typeof HistoryQuery>;

/** The fields every history event has: its place in the history and when it happened (ISO 8601). */
export const HistoryEntry = z.object({
  sequence: z.number().int().positive(),
  at: z.string(),
  detail: z.string().optional(),
});

/** A page of history events of `item`'s shape. */
export function historyPage<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    /** The `after` of the next page, when there may be one. */
    next: z.number().int().optional(),
  });
}

/** The page a store's rows make: when it filled `limit`, the last sequence is where the next one starts. */
export function pageOfHistory<E extends { sequence: number }>(items: E[], limit: number): { items: E[]; next?: number } {
  const last = items.at(-1);
  return items.length === limit && last ? { items, next: last.sequence } : { items };
}
