import { z } from 'zod';
import { logLevel, port } from '@citus/kit';

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|::1|localhost)$/i;

export const EmbeddedConfig = z
  .object({
    PORT: port(8080).describe('port of the HTTP listener (the API and the web UI)'),
    // Passwords and activation codes travel in the API's bodies, so plain HTTP stays on loopback.
    HOST: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('interface of the HTTP listener; plain HTTP, so loopback unless a TLS proxy fronts it'),
    CITUS_DATA_DIR: z.string().min(1).default('./data').describe('where the CA, keys and databases live'),
    LOG_LEVEL: logLevel.describe('pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`'),
    // A listener of its own, so that metrics are neither in the public route table nor behind the gateway.
    METRICS_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe('port of the Prometheus `/metrics` listener (see Operations); unset, there is none'),
    METRICS_HOST: z.string().min(1).default('127.0.0.1').describe('interface of the `/metrics` listener'),
    CITUS_METRICS_TOKEN: z
      .string()
      .min(16, 'at least 16 characters')
      .optional()
      .describe('bearer token a scrape must send (at least 16 characters; required when `METRICS_HOST` is not loopback)'),
  })
  .refine((config) => config.METRICS_PORT === undefined || LOOPBACK.test(config.METRICS_HOST) || config.CITUS_METRICS_TOKEN !== undefined, {
    path: ['CITUS_METRICS_TOKEN'],
    message: 'required when METRICS_HOST is not a loopback address: metrics are not public',
  });
export type EmbeddedConfig = z.infer<typeof EmbeddedConfig>;
