import { z } from 'zod';

export const Health = z.object({
  status: z.enum(['ok', 'starting', 'stopping']),
  parts: z.record(z.string(), z.boolean()),
});
export type Health = z.infer<typeof Health>;
