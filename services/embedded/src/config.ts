import { z } from 'zod';
import { logLevel, port } from '@citus/kit';

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|::1|localhost)$/i;

export const EmbeddedConfig = z
  .object({
    PORT: port(8080),
    /**
     * Loopback by default: the API is plain HTTP, and passwords and activation codes must not cross
     * a network in the clear. Serve it wider only behind TLS (a reverse proxy) or knowingly.
     */
    HOST: z.string().min(1).default('127.0.0.1'),
    CITUS_DATA_DIR: z.string().min(1).default('./data'),
    LOG_LEVEL: logLevel,
    /**
     * Prometheus metrics at `GET /metrics` on a listener of their own; unset, none. Apart from the
     * API port so that they are neither in the public route table nor behind the gateway.
     */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    /** The bearer token a scrape must send; required when METRICS_HOST is not a loopback address. */
    CITUS_METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  })
  .refine((config) => config.METRICS_PORT === undefined || LOOPBACK.test(config.METRICS_HOST) || config.CITUS_METRICS_TOKEN !== undefined, {
    path: ['CITUS_METRICS_TOKEN'],
    message: 'required when METRICS_HOST is not a loopback address: metrics are not public',
  });
export type EmbeddedConfig = z.infer<typeof EmbeddedConfig>;
