import type Dockerode from 'dockerode';

export interface ContainerSwapOptions {
  /** How long a new container with a Docker health check has to become healthy. */
  healthTimeoutMs?: number;
  /** How long a new container without a health check must keep running to count as healthy. */
  settleMs?: number;
  /** How long `docker stop` waits before it kills. */
  stopTimeoutSec?: number;
}

export type SwapOutcome = { replaced: true; previousImage: string } | { replaced: false; reason: string };

type Step = (step: string) => Promise<unknown>;

/** What a container was created with, that the image did not already say. */
const CARRIED_CONFIG = ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Labels', 'Healthcheck', 'StopSignal', 'Volumes'] as const;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

const statusOf = (error: unknown): number | undefined => (error as { statusCode?: number }).statusCode;

const messageOf = (error: unknown): string => {
  const json = (error as { json?: { message?: string } | null }).json;
  return json?.message ?? (error instanceof Error ? error.message : String(error));
};

/**
 * A gateway's container update: the one named container is replaced by a container of the new
 * image, made as the old one was (its own settings, not those it took from its old image), and the
 * old one is kept, stopped, until the new one proves healthy: it passes its Docker health check,
 * or, without one, keeps running for a while. A new container that fails is removed and the old
 * one started again under its name. No other container is touched and no image is removed (the
 * original system's gateway update deleted every image on the host).
 */
export class ContainerSwap {
  private readonly healthTimeoutMs: number;
  private readonly settleMs: number;
  private readonly stopTimeoutSec: number;

  constructor(
    private readonly docker: Dockerode,
    options: ContainerSwapOptions = {},
  ) {
    this.healthTimeoutMs = options.healthTimeoutMs ?? 120_000;
    this.settleMs = options.settleMs ?? 10_000;
    this.stopTimeoutSec = options.stopTimeoutSec ?? 10;
  }

  async replace(name: string, image: string, step: Step): Promise<SwapOutcome> {
    const info = await this.docker
      .getContainer(name)
      .inspect()
      .catch((error: unknown) => {
        if (statusOf(error) === 404) return undefined;
        throw error;
      });
    if (!info) return { replaced: false, reason: `there is no container named ${name} on this gateway` };
    // By id from here on: its name changes while the new container proves itself.
    const current = this.docker.getContainer(info.Id);
    await step('pulling');
    const pulled = await this.pull(image);
    if ('reason' in pulled) return { replaced: false, reason: pulled.reason };
    if (pulled.imageId === info.Image) return { replaced: false, reason: `${name} already runs ${image}` };

    await step('replacing');
    const previousName = `${name}-citus-previous`;
    // A stopped copy left by an update that was cut short: the container named `name` is current.
    await this.docker.getContainer(previousName).remove({ force: true }).catch((error: unknown) => {
      if (statusOf(error) !== 404) throw error;
    });
    const oldImage = await this.docker.getImage(info.Image).inspect().catch(() => undefined);
    await current.stop({ t: this.stopTimeoutSec }).catch((error: unknown) => {
      if (statusOf(error) !== 304) throw error;
    });
    await current.rename({ name: previousName });
    let created: Dockerode.Container | undefined;
    try {
      created = await this.docker.createContainer(this.recreation(name, image, info, oldImage?.Config));
      await created.start();
      await step('health-check');
      const health = await this.waitHealthy(created);
      if (health.healthy) {
        await current.remove({ force: true });
        return { replaced: true, previousImage: info.Config.Image };
      }
      await this.rollBack(created, current, name);
      return { replaced: false, reason: `the new container ${health.reason}; rolled back to ${info.Config.Image}` };
    } catch (error) {
      await this.rollBack(created, current, name);
      return { replaced: false, reason: `the new container could not be started (${messageOf(error)}); rolled back to ${info.Config.Image}` };
    }
  }

  /** Pulls the image (by its digest: the registry's content is what was signed) unless the engine has it. */
  private async pull(image: string): Promise<{ imageId: string } | { reason: string }> {
    const present = await this.docker.getImage(image).inspect().catch(() => undefined);
    if (present) return { imageId: present.Id };
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (error: Error | null, events: Array<{ error?: string }>) => {
          const failed = error?.message ?? events.find((event) => event.error)?.error;
          if (failed) reject(new Error(failed));
          else resolve();
        });
      });
      return { imageId: (await this.docker.getImage(image).inspect()).Id };
    } catch (error) {
      return { reason: `the image ${image} could not be pulled: ${messageOf(error)}` };
    }
  }

  /**
   * The new container's settings: the old container's host settings and networks, and those of its
   * settings that differ from its old image's (so what the new image says about its command or
   * environment applies, unless the container was made to override it).
   */
  private recreation(name: string, image: string, info: Dockerode.ContainerInspectInfo, oldImageConfig: Dockerode.ImageInspectInfo['Config'] | undefined): Dockerode.ContainerCreateOptions {
    const config: Record<string, unknown> = {};
    const own = info.Config as unknown as Record<string, unknown>;
    const fromImage = (oldImageConfig ?? {}) as unknown as Record<string, unknown>;
    for (const key of CARRIED_CONFIG) {
      if (own[key] !== undefined && own[key] !== null && !same(own[key], fromImage[key])) config[key] = own[key];
    }
    const mode = info.HostConfig.NetworkMode ?? 'default';
    const networks = Object.fromEntries(
      Object.entries(info.NetworkSettings.Networks ?? {}).map(([network, endpoint]) => [network, { Aliases: endpoint.Aliases ?? undefined }]),
    );
    return {
      ...config,
      name,
      Image: image,
      Hostname: info.Config.Hostname,
      HostConfig: info.HostConfig,
      ...(['host', 'none', 'default', 'bridge'].includes(mode) ? {} : { NetworkingConfig: { EndpointsConfig: networks } }),
    };
  }

  private async waitHealthy(container: Dockerode.Container): Promise<{ healthy: true } | { healthy: false; reason: string }> {
    const first = await container.inspect();
    const checked = first.Config.Healthcheck?.Test && first.Config.Healthcheck.Test[0] !== 'NONE';
    const deadline = Date.now() + (checked ? this.healthTimeoutMs : this.settleMs);
    for (;;) {
      const state = (await container.inspect()).State;
      if (!state.Running || state.Restarting) return { healthy: false, reason: `stopped (exit code ${state.ExitCode})` };
      const health = (state as { Health?: { Status: string; Log?: Array<{ Output?: string }> } }).Health;
      if (checked && health?.Status === 'healthy') return { healthy: true };
      if (checked && health?.Status === 'unhealthy') {
        const output = health.Log?.at(-1)?.Output?.trim().slice(0, 200);
        return { healthy: false, reason: `failed its health check${output ? ` (${output})` : ''}` };
      }
      if (Date.now() >= deadline) return checked ? { healthy: false, reason: `was not healthy within ${this.healthTimeoutMs / 1000} s` } : { healthy: true };
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Removes the new container and gives the old one back its name, running. */
  private async rollBack(created: Dockerode.Container | undefined, previous: Dockerode.Container, name: string): Promise<void> {
    await created?.remove({ force: true }).catch(() => undefined);
    await previous.rename({ name });
    await previous.start().catch((error: unknown) => {
      if (statusOf(error) !== 304) throw error;
    });
  }
}
