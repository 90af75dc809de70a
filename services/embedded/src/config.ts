import { z } from 'zod';
import { logLevel, port } from '@citus/kit';

export const EmbeddedConfig = z.object({
  PORT: port(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  CITUS_DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: logLevel,
});
export type EmbeddedConfig = z.infer<typeof EmbeddedConfig>;
