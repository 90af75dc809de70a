import type { AppRegistryConfig } from './config.js';
import { connectDocker } from './adapters/docker/docker-connection.js';
import { DockerEngineRuntime } from './adapters/docker/docker-engine.runtime.js';
import { DockerSwarmRuntime } from './adapters/docker/docker-swarm.runtime.js';
import type { ContainerRuntime } from './domain/container-runtime.port.js';

/**
 * The container runtime CITUS_APP_RUNTIME names, on the engine at DOCKER_HOST. Nothing is
 * contacted here: an engine that is down is reported by `availability()` and by each call, so
 * the platform starts without one. A DOCKER_HOST that is not a Docker URL throws.
 */
export function createContainerRuntime(config: Pick<AppRegistryConfig, 'CITUS_APP_RUNTIME' | 'DOCKER_HOST'> & Partial<Pick<AppRegistryConfig, 'CITUS_APP_NETWORK' | 'CITUS_APP_SWARM_NETWORK'>>): ContainerRuntime {
  const connection = connectDocker(config.DOCKER_HOST);
  switch (config.CITUS_APP_RUNTIME) {
    case 'docker':
      return new DockerEngineRuntime(connection, config.CITUS_APP_NETWORK);
    case 'swarm':
      return new DockerSwarmRuntime(connection, config.CITUS_APP_SWARM_NETWORK);
  }
}
