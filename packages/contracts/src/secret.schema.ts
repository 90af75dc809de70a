import { z } from 'zod';

/** A workspace secret's name, as alert webhooks and analysers refer to it. */
export const SecretName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a secret name (letters, digits, _ . -; up to 64)');
export type SecretName = z.infer<typeof SecretName>;

/** The largest secret value kept: API keys and signing secrets are far shorter. */
export const MAX_SECRET_BYTES = 4096;

/** `PUT /api/v1/secrets/{name}`: sets or replaces the value. */
export const PutSecretRequest = z.strictObject({
  value: z.string().min(1).refine((value) => new TextEncoder().encode(value).length <= MAX_SECRET_BYTES, `at most ${MAX_SECRET_BYTES} bytes`),
});
export type PutSecretRequest = z.infer<typeof PutSecretRequest>;

/** A secret as listed: its name and dates, never its value (write-only). */
export const Secret = z.object({
  name: SecretName,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Secret = z.infer<typeof Secret>;

export const SecretList = z.object({ items: z.array(Secret) });
export type SecretList = z.infer<typeof SecretList>;

export const SecretPathParams = z.object({ name: SecretName });
export type SecretPathParams = z.infer<typeof SecretPathParams>;
