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
