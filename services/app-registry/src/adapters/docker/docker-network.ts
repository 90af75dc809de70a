import type Dockerode from 'dockerode';
import { RuntimeError } from '../../domain/container-runtime.port.js';
import { engineCall, isNotFound, type DockerConnection } from './docker-connection.js';

/** Docker's bridge option that lets containers on one bridge talk to each other; ours is off. */
export const ICC_OPTION = 'com.docker.network.bridge.enable_icc';

/** How long a network just made may take to show its driver: 10 x 200 ms. */
const SETTLE_ATTEMPTS = 10;
const SETTLE_MS = 200;

/** Carried by the network the platform made, so an operator can tell what it is for. */
export const APP_NETWORK_LABEL = 'io.citus.network';

/**
 * The bridge app containers sit on: each container has a network namespace of its own (its
 * loopback is its own, not the host's), and with inter-container communication off no app can
 * open a connection to another, of its workspace or of another. The platform reaches each through
 * the port Docker publishes for it on the host's 127.0.0.1. Apps keep outbound access (NAT).
 */
export function appNetworkOptions(name: string): Dockerode.NetworkCreateOptions {
  return {
    Name: name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Internal: false,
    Attachable: false,
    Labels: { [APP_NETWORK_LABEL]: 'apps' },
    Options: { [ICC_OPTION]: 'false' },
  };
}

/** Docker's bridge option naming the host address ports are published on when a publish names none. */
export const HOST_BINDING_OPTION = 'com.docker.network.bridge.host_binding_ipv4';

/** Where a Swarm task's port is published: Swarm names no address, so the network says it. */
const LOOPBACK = '127.0.0.1';

/**
 * Swarm's counterpart of the single engine's app network, in two parts (Swarm takes a bridge's
 * options only from a node-local "config-only" network): `{name}-config` holds the options and the
 * swarm-scoped bridge `{name}` is made from it. Tasks on it get what containers on the app network
 * get: a network namespace each and no traffic between them. Their ports go on the host's
 * 127.0.0.1 only, because Swarm's host-mode publishing binds the address the network names (it
 * would bind every interface otherwise, and its routing mesh never answers on loopback).
 */
export function swarmNetworkOptions(name: string): { config: Dockerode.NetworkCreateOptions; network: Dockerode.NetworkCreateOptions } {
  const labels = { [APP_NETWORK_LABEL]: 'apps' };
  return {
    config: {
      Name: swarmConfigName(name),
      CheckDuplicate: true,
      Labels: labels,
      Options: { [ICC_OPTION]: 'false', [HOST_BINDING_OPTION]: LOOPBACK },
      ...{ ConfigOnly: true },
    },
    // Labels too count as options, which the engine takes from the config-only network alone.
    network: {
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      ...{ Scope: 'swarm', ConfigFrom: { Network: swarmConfigName(name) } },
    },
  };
}

export const swarmConfigName = (name: string): string => `${name}-config`;

export interface NetworkInfo {
  Driver?: string;
  Internal?: boolean;
  Scope?: string;
  ConfigFrom?: { Network?: string };
  Options?: Record<string, string> | null;
}

/**
 * Why `info` cannot hold apps, or undefined when it can. A network an operator made beforehand
 * (to choose its subnet, say) is used as long as it isolates as ours does: the platform never
 * loosens or silently replaces it.
 */
export function appNetworkProblem(name: string, info: NetworkInfo): string | undefined {
  if (info.Driver !== 'bridge') return `network ${name} uses the ${info.Driver ?? 'unknown'} driver; app containers need a bridge`;
  if (info.Internal) return `network ${name} is internal: Docker publishes no ports from it, so the platform could not reach its apps`;
  if (info.Options?.[ICC_OPTION] !== 'false') {
    return `network ${name} lets its containers reach each other (${ICC_OPTION} is not false): remove it so the platform makes it, or name another with CITUS_APP_NETWORK`;
  }
  return undefined;
}

/** As `appNetworkProblem`, for Swarm's bridge (`info`) and the config-only network it takes its options from (`config`). */
export function swarmNetworkProblem(name: string, info: NetworkInfo, config: NetworkInfo | undefined): string | undefined {
  if (info.Driver !== 'bridge' || info.Scope !== 'swarm') {
    return `network ${name} is a ${info.Scope ?? 'unknown'}-scoped ${info.Driver ?? 'unknown'} network; Swarm apps need a swarm-scoped bridge: remove it so the platform makes it, or name another with CITUS_APP_SWARM_NETWORK`;
  }
  const source = info.ConfigFrom?.Network;
  if (!source || !config) {
    return `network ${name} takes its options from no config-only network on this node: remove it so the platform makes it, or name another with CITUS_APP_SWARM_NETWORK`;
  }
  return swarmConfigProblem(name, source, config);
}

/** Why the config-only network `source` cannot give Swarm's app bridge `name` its options, or undefined when it can. */
export function swarmConfigProblem(name: string, source: string, config: NetworkInfo): string | undefined {
  const remedy = `remove ${name} and ${source} so the platform makes them, or name another network with CITUS_APP_SWARM_NETWORK`;
  if (config.Options?.[ICC_OPTION] !== 'false') {
    return `network ${name} lets its containers reach each other (${ICC_OPTION} of ${source} is not false): ${remedy}`;
  }
  if (config.Options[HOST_BINDING_OPTION] !== LOOPBACK) {
    return `network ${name} publishes ports on ${config.Options[HOST_BINDING_OPTION] ?? 'every interface'} (${HOST_BINDING_OPTION} of ${source} is not ${LOOPBACK}), beyond the platform's proxy: ${remedy}`;
  }
  return undefined;
}

/**
 * Makes the app network unless it exists, then checks it isolates; answers once per success. The
 * single engine's is a plain bridge (`appNetworkOptions`), Swarm's a swarm-scoped one with its
 * config-only network (`swarmNetworkOptions`).
 */
export class AppNetwork {
  private ready?: Promise<void>;

  constructor(
    private readonly connection: DockerConnection,
    readonly name: string,
    private readonly kind: 'engine' | 'swarm' = 'engine',
  ) {}

  /** Resolves once the network exists and isolates; a failure is tried again on the next call. */
  ensure(): Promise<void> {
    this.ready ??= this.prepare().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** After the engine said the network is gone (an operator removed it): the next deploy makes it again. */
  forget(): void {
    this.ready = undefined;
  }

  private async prepare(): Promise<void> {
    if (this.kind === 'engine') {
      const problem = appNetworkProblem(this.name, await this.made(appNetworkOptions(this.name)));
      if (problem) throw new RuntimeError('failed', problem);
      return;
    }
    const options = swarmNetworkOptions(this.name);
    let info = await this.inspect(this.name);
    if (!info) {
      // A config-only network left from before is checked before a bridge is made from it.
      const config = await this.made(options.config);
      const problem = swarmConfigProblem(this.name, swarmConfigName(this.name), config);
      if (problem) throw new RuntimeError('failed', problem);
      info = await this.made(options.network);
    }
    const source = info.ConfigFrom?.Network;
    const problem = swarmNetworkProblem(this.name, info, source ? await this.inspect(source) : undefined);
    if (problem) throw new RuntimeError('failed', problem);
  }

  /** The network `options` names, made first when missing. */
  private async made(options: Dockerode.NetworkCreateOptions): Promise<NetworkInfo> {
    const name = options.Name;
    const known = await this.inspect(name);
    if (known) return known;
    try {
      await engineCall(this.connection, () => this.connection.docker.createNetwork(options));
    } catch (error) {
      // Another platform process made it between the two calls: use theirs, once checked.
      if (!(error instanceof RuntimeError && error.code === 'conflict')) throw error;
    }
    // A swarm-scoped network just made may be shown for a moment without its driver.
    for (let attempt = 0; ; attempt += 1) {
      const info = await this.inspect(name);
      if (!info) throw new RuntimeError('failed', `network ${name} was made but the engine cannot find it`);
      if (info.Driver !== '' || options.ConfigOnly || attempt >= SETTLE_ATTEMPTS) return info;
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    }
  }

  private async inspect(name: string): Promise<NetworkInfo | undefined> {
    try {
      return (await this.connection.docker.getNetwork(name).inspect()) as NetworkInfo;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      return engineCall(this.connection, () => Promise.reject(error));
    }
  }
}
