import { z } from 'zod';

export const AppRegistryConfig = z.object({
  CITUS_APP_RUNTIME: z
    .enum(['docker', 'swarm'])
    .default('docker')
    .describe(
      'where app deployments run: `docker` (the engine at `DOCKER_HOST`) or `swarm` (Swarm services; the engine must be a Swarm manager)',
    ),
  DOCKER_HOST: z
    .string()
    .min(1)
    .default('unix:///var/run/docker.sock')
    .describe('the Docker engine: `unix:///path` or `tcp://host:port`'),
});
export type AppRegistryConfig = z.infer<typeof AppRegistryConfig>;
