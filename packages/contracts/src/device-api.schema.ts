import { z } from 'zod';

/** Device ids as the platform makes them: `dev_` and 24 hex digits. */
export const DeviceId = z.string().regex(/^dev_[0-9a-f]{24}$/, 'invalid device id');
export type DeviceId = z.infer<typeof DeviceId>;

export const DevicePathParams = z.object({ id: DeviceId });
export type DevicePathParams = z.infer<typeof DevicePathParams>;

/** A fresh one-time activation code for a device that is not active; shown only in this answer. */
export const ActivationCodeRenewal = z.object({
  activationCode: z.string(),
  activationExpiresAt: z.string(),
});
export type ActivationCodeRenewal = z.infer<typeof ActivationCodeRenewal>;
