import { z } from 'zod';
import { logLevel, port } from '@citus/kit';

export const EmbeddedConfig = z.object({
  PORT: port(8080),
  /**
   * Loopback by default: the API is plain HTTP, and passwords and activation codes must not cross
   * a network in the clear. Serve it wider only behind TLS (a reverse proxy) or knowingly.
   */
  HOST: z.string().min(1).default('127.0.0.1'),
  CITUS_DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: logLevel,
});
export type EmbeddedConfig = z.infer<typeof EmbeddedConfig>;
