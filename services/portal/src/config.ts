import { z } from 'zod';
import { Password } from '@citus/contracts';

export const PortalConfig = z
  .object({
    CITUS_ADMIN_PASSWORD: Password.optional().describe(
      'password of `admin` on first start (at least 10 characters); unset, one is generated and written to `identity/initial-admin-password` in the data directory',
    ),
    AUTH0_DOMAIN: z
      .string()
      .regex(/^[a-z0-9.-]+$/i, 'a host name such as tenant.eu.auth0.com')
      .optional()
      .describe('sign in through Auth0 instead: the tenant\'s domain, e.g. `your-tenant.eu.auth0.com` (set both `AUTH0_DOMAIN` and `AUTH0_AUDIENCE`; see Auth0)'),
    AUTH0_AUDIENCE: z
      .string()
      .min(1)
      .optional()
      .describe('with Auth0: the identifier of the Auth0 API created for the platform (RS256), the tokens\' `aud`'),
    CITUS_ADMIN_AUTH0_SUBJECT: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('with Auth0: the Auth0 user id (the token\'s `sub`) that becomes the platform admin `admin` on first start'),
    CITUS_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(86_400)
      .default(3600)
      .describe('lifetime of access tokens from the embedded provider (60–86400 s)'),
    CITUS_TOKEN_ISSUER: z.string().min(1).default('urn:citus:embedded').describe('`iss` of the embedded provider\'s tokens'),
    CITUS_TOKEN_AUDIENCE: z.string().min(1).default('citus-api').describe('`aud` of the embedded provider\'s tokens'),
  })
  .refine((config) => Boolean(config.AUTH0_DOMAIN) === Boolean(config.AUTH0_AUDIENCE), {
    message: 'AUTH0_DOMAIN and AUTH0_AUDIENCE go together: set both or neither',
    path: ['AUTH0_AUDIENCE'],
  });
export type PortalConfig = z.infer<typeof PortalConfig>;
