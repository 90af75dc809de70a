import { hostname } from 'node:os';
import type { AppRegistryConfig } from './config.js';
import { connectDocker } from './adapters/docker/docker-connection.js';
import { DockerEngineRuntime, type AppReach } from './adapters/docker/docker-engine.runtime.js';
import { DockerSwarmRuntime } from './adapters/docker/docker-swarm.runtime.js';
import type { ContainerRuntime } from './domain/container-runtime.port.js';

/** `network` reach names the proxy's container: as configured, else this host's name (Docker makes it the container's id). */
function appReach(config: Partial<Pick<AppRegistryConfig, 'CITUS_APP_REACH' | 'CITUS_APP_PROXY_CONTAINER'>>): AppReach {
  if (config.CITUS_APP_REACH !== 'network') return { kind: 'loopback' };
  return { kind: 'network', proxyContainer: config.CITUS_APP_PROXY_CONTAINER ?? hostname() };
}

/**
 * The container runtime CITUS_APP_RUNTIME names, on the engine at DOCKER_HOST. Nothing is
 * contacted here: an engine that is down is reported by `availability()` and by each call, so
 * the platform starts without one. A DOCKER_HOST that is not a Docker URL throws, as does Swarm
 * with `network` reach.
 */
export function createContainerRuntime(config: Pick<AppRegistryConfig, 'CITUS_APP_RUNTIME' | 'DOCKER_HOST'> & Partial<Pick<AppRegistryConfig, 'CITUS_APP_NETWORK' | 'CITUS_APP_SWARM_NETWORK' | 'CITUS_APP_REACH' | 'CITUS_APP_PROXY_CONTAINER'>>): ContainerRuntime {
  const connection = connectDocker(config.DOCKER_HOST);
  switch (config.CITUS_APP_RUNTIME) {
    case 'docker':
      return new DockerEngineRuntime(connection, config.CITUS_APP_NETWORK, appReach(config));
    case 'swarm':
      // Swarm publishes task ports on the node's loopback, which a proxy in a container cannot reach.
      if (config.CITUS_APP_REACH === 'network') throw new Error('CITUS_APP_REACH=network works with CITUS_APP_RUNTIME=docker only: Swarm apps are reached on the loopback of the node the app registry runs on');
      return new DockerSwarmRuntime(connection, config.CITUS_APP_SWARM_NETWORK);
  }
}
