import { z } from 'zod';

/** The longest retention period that can be set: ten years. */
export const MAX_RETENTION_DAYS = 3650;

/** Days telemetry is kept, or `null` to keep it forever (the default). */
export const RetentionDays = z.number().int().min(1).max(MAX_RETENTION_DAYS).nullable();
export type RetentionDays = z.infer<typeof RetentionDays>;

/** `PUT /api/v1/telemetry/retention`. */
export const RetentionUpdateRequest = z.strictObject({ days: RetentionDays });
export type RetentionUpdateRequest = z.infer<typeof RetentionUpdateRequest>;

/** What one background sweep deleted in the workspace. */
export const RetentionSweep = z.object({
  /** When the sweep of the workspace ended, ISO 8601. */
  at: z.iso.datetime(),
  deleted: z.object({
    telemetry: z.number().int().nonnegative(),
    deadLetters: z.number().int().nonnegative(),
  }),
});
export type RetentionSweep = z.infer<typeof RetentionSweep>;

/**
 * The workspace's retention period and its latest sweep (`null` until one has run since the
 * platform started: the figures are kept in memory only).
 */
export const RetentionSetting = z.object({ days: RetentionDays, lastSweep: RetentionSweep.nullable() });
export type RetentionSetting = z.infer<typeof RetentionSetting>;
