import { z } from 'zod';
import { Password } from '@citus/contracts';

export const PortalConfig = z
  .object({
    CITUS_ADMIN_PASSWORD: Password.optional(),
    AUTH0_DOMAIN: z
      .string()
      .regex(/^[a-z0-9.-]+$/i, 'a host name such as tenant.eu.auth0.com')
      .optional(),
    AUTH0_AUDIENCE: z.string().min(1).optional(),
    /** Auth0 mode: the Auth0 user id (`sub`) that becomes the platform admin `admin` on first start. */
    CITUS_ADMIN_AUTH0_SUBJECT: z.string().min(1).max(200).optional(),
    CITUS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
    CITUS_TOKEN_ISSUER: z.string().min(1).default('urn:citus:embedded'),
    CITUS_TOKEN_AUDIENCE: z.string().min(1).default('citus-api'),
  })
  .refine((config) => Boolean(config.AUTH0_DOMAIN) === Boolean(config.AUTH0_AUDIENCE), {
    message: 'AUTH0_DOMAIN and AUTH0_AUDIENCE go together: set both or neither',
    path: ['AUTH0_AUDIENCE'],
  });
export type PortalConfig = z.infer<typeof PortalConfig>;
