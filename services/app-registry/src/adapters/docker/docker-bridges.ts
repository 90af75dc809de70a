import type Dockerode from 'dockerode';
import { KeyedTurns } from '@citus/kit';
import { RuntimeError } from '../../domain/container-runtime.port.js';
import { engineCallWithin, type DockerConnection } from './docker-connection.js';
import { APP_NETWORK_LABEL } from './docker-network.js';

/** The bridge of a deployment's own, for `network` reach: its app and the proxy's container, nothing else. */
export const deploymentNetworkName = (containerName: string): string => `${containerName}-net`;

/** A deployment's own bridge: inter-container traffic on, since its app and the proxy's container must talk; nothing else joins it. */
export function deploymentNetworkOptions(name: string, labels: Record<string, string>): Dockerode.NetworkCreateOptions {
  return { Name: name, Driver: 'bridge', CheckDuplicate: true, Internal: false, Attachable: false, Labels: { ...labels, [APP_NETWORK_LABEL]: 'deployment' } };
}

interface BridgeInfo {
  Id: string;
  Containers?: Record<string, unknown>;
}

/** Each engine call on a bridge; what waits behind a call that never answers is freed after it. */
const CALL_LIMIT_MS = 10_000;

/** Docker's answer (a 403) to connecting a container that is on the network already. */
const alreadyOn = (error: unknown): boolean => error instanceof Error && /already exists in network/i.test(error.message);

/**
 * `CITUS_APP_REACH=network` (the proxy runs in a container of the engine, as in compose): each
 * deployment gets a bridge of its own, which the proxy's container joins. Apps of other
 * deployments are on bridges of their own, so none reaches another; an app reaches the proxy's
 * container (whose API asks every caller for credentials) and keeps outbound access. The work on
 * one deployment's bridge (made, joined, taken away) runs one step at a time, so a request asking
 * the way never races the bridge being made again under it.
 */
export class DeploymentBridges {
  private readonly turns = new KeyedTurns();
  /** Bridges the proxy's container is known to be on, by name. */
  private readonly joined = new Set<string>();
  private proxyId?: string;

  constructor(
    private readonly connection: DockerConnection,
    /** CITUS_APP_PROXY_CONTAINER, else this host's name (the container's id, as Docker sets it). */
    private readonly proxyContainer: string,
  ) {}

  private get docker(): Dockerode {
    return this.connection.docker;
  }

  /** The proxy's container's full id; `unavailable`, naming the setting, when the engine runs no such container. */
  async proxy(): Promise<string> {
    if (this.proxyId) return this.proxyId;
    try {
      this.proxyId = (await this.within('the inspection of the proxy\'s container', () => this.docker.getContainer(this.proxyContainer).inspect())).Id;
      return this.proxyId;
    } catch (error) {
      if (!(error instanceof RuntimeError && error.code === 'not_found')) throw error;
      throw new RuntimeError(
        'unavailable',
        `CITUS_APP_REACH=network: the proxy's container ${this.proxyContainer} (CITUS_APP_PROXY_CONTAINER, else this host's name) is not one the engine at DOCKER_HOST=${this.connection.host} runs`,
      );
    }
  }

  /** Makes the deployment's bridge (or takes up one a failed deploy left) with the proxy on it; answers its name. */
  open(containerName: string, labels: Record<string, string>): Promise<string> {
    const name = deploymentNetworkName(containerName);
    return this.inTurn(name, async () => {
      await this.proxy();
      try {
        await this.within(`the creation of ${name}`, () => this.docker.createNetwork(deploymentNetworkOptions(name, labels)));
      } catch (error) {
        if (!(error instanceof RuntimeError && error.code === 'conflict')) throw error;
      }
      this.joined.delete(name);
      await this.join(name);
      return name;
    });
  }

  /** Puts the proxy's container on the bridge unless it is known to be there (a container made anew is not); false when there is no bridge. */
  ensureJoined(containerName: string): Promise<boolean> {
    const name = deploymentNetworkName(containerName);
    if (this.joined.has(name)) return Promise.resolve(true);
    return this.inTurn(name, () => this.join(name));
  }

  /** Takes the bridge away, the proxy's container leaving it first. Best effort: a bridge left behind is taken up again by the next deploy of this name. */
  close(containerName: string): Promise<void> {
    const name = deploymentNetworkName(containerName);
    return this.inTurn(name, async () => {
      this.joined.delete(name);
      const network = this.docker.getNetwork(name);
      // By id when known, else by the name it was given (the engine may not have answered before).
      const proxy = this.proxyId ?? this.proxyContainer;
      await this.within(`${name}'s disconnection`, () => network.disconnect({ Container: proxy, Force: true })).catch(() => undefined);
      await this.within(`${name}'s removal`, () => network.remove()).catch(() => undefined);
    });
  }

  private async join(name: string): Promise<boolean> {
    if (this.joined.has(name)) return true;
    let info: BridgeInfo;
    try {
      info = (await this.within(`the inspection of ${name}`, () => this.docker.getNetwork(name).inspect())) as BridgeInfo;
    } catch (error) {
      if (error instanceof RuntimeError && error.code === 'not_found') return false;
      throw error;
    }
    const proxy = await this.proxy();
    if (!Object.keys(info.Containers ?? {}).includes(proxy)) {
      try {
        await this.within(`the proxy's connection to ${name}`, () => this.docker.getNetwork(name).connect({ Container: proxy }));
      } catch (error) {
        if (!alreadyOn(error)) throw error;
      }
    }
    this.joined.add(name);
    return true;
  }

  private within<T>(what: string, call: () => Promise<T>): Promise<T> {
    return engineCallWithin(this.connection, CALL_LIMIT_MS, what, call);
  }

  /** Runs `work` after what was asked of the same bridge before it. */
  private inTurn<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.turns.run(name, work);
  }
}
