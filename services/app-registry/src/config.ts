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
  CITUS_APP_NETWORK: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a Docker network name: letters, digits, "_", "." and "-"')
    .default('citus-apps')
    .describe(
      'single engine with `loopback` reach: the bridge network app containers join, made with inter-container traffic off when missing; one made beforehand must have `com.docker.network.bridge.enable_icc=false`',
    ),
  CITUS_APP_REACH: z
    .enum(['loopback', 'network'])
    .default('loopback')
    .describe(
      'single engine: how the app proxy reaches app containers: `loopback` (each app\'s port published on the host\'s 127.0.0.1; the proxy runs on the host) or `network` (the proxy runs in a container of that engine, as in compose: each deployment gets a bridge of its own, which that container joins; nothing is published)',
    ),
  CITUS_APP_PROXY_CONTAINER: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a Docker container name or id')
    .optional()
    .describe('with `CITUS_APP_REACH=network`: the container this process runs in (default: this host\'s name, which Docker sets to the container\'s id)'),
  CITUS_APP_SWARM_NETWORK: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$/, 'a Docker network name: letters, digits, "_", "." and "-"')
    .default('citus-swarm-apps')
    .describe(
      'Swarm: the swarm-scoped bridge app tasks join, made when missing from the config-only network `{name}-config` (inter-container traffic off, ports published on 127.0.0.1); one made beforehand must take such options',
    ),
});
export type AppRegistryConfig = z.infer<typeof AppRegistryConfig>;
