import { z } from 'zod';

export const AppRegistryConfig = z.object({
  /** Where app deployments run: the local Docker engine or Docker Swarm services. */
  CITUS_APP_RUNTIME: z.enum(['docker', 'swarm']).default('docker'),
  /** The Docker engine's socket (or `tcp://127.0.0.1:2375`-style URL for a local engine). */
  DOCKER_HOST: z.string().min(1).default('unix:///var/run/docker.sock'),
});
export type AppRegistryConfig = z.infer<typeof AppRegistryConfig>;
