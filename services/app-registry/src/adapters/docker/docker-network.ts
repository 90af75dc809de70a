import type Dockerode from 'dockerode';
import { RuntimeError } from '../../domain/container-runtime.port.js';
import { engineCall, isNotFound, type DockerConnection } from './docker-connection.js';

/** Docker's bridge option that lets containers on one bridge talk to each other; ours is off. */
export const ICC_OPTION = 'com.docker.network.bridge.enable_icc';

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

interface NetworkInfo {
  Driver?: string;
  Internal?: boolean;
  Options?: Record<string, string>;
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

/** Makes the app network unless it exists, then checks it isolates; answers once per success. */
export class AppNetwork {
  private ready?: Promise<void>;

  constructor(
    private readonly connection: DockerConnection,
    readonly name: string,
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
    const { docker } = this.connection;
    let info = await this.inspect();
    if (!info) {
      try {
        await engineCall(this.connection, () => docker.createNetwork(appNetworkOptions(this.name)));
      } catch (error) {
        // Another platform process made it between the two calls: use theirs, once checked.
        if (!(error instanceof RuntimeError && error.code === 'conflict')) throw error;
      }
      info = await this.inspect();
      if (!info) throw new RuntimeError('failed', `network ${this.name} was made but the engine cannot find it`);
    }
    const problem = appNetworkProblem(this.name, info);
    if (problem) throw new RuntimeError('failed', problem);
  }

  private async inspect(): Promise<NetworkInfo | undefined> {
    try {
      return (await this.connection.docker.getNetwork(this.name).inspect()) as NetworkInfo;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      return engineCall(this.connection, () => Promise.reject(error));
    }
  }
}
