import type Dockerode from 'dockerode';

export interface ContainerSwapOptions {
  /** The longest wait for a new container with a Docker health check to become healthy (its own check's timings may ask less). */
  healthTimeoutMs?: number;
  /** How long a new container without a health check must keep running, not restarted, to count as healthy. */
  settleMs?: number;
  /** How long a pull may take. */
  pullTimeoutMs?: number;
}

export type SwapOutcome =
  | { replaced: true; previousImage: string }
  /** The container runs that image already (a job delivered again after it succeeded). */
  | { replaced: false; current: true }
  | { replaced: false; reason: string };

type Step = (step: string) => Promise<unknown>;

/** Settings a container was created with that may differ from its image's, compared key by key. */
const KEYED_CONFIG = ['Labels', 'ExposedPorts', 'Volumes'] as const;
/** Settings carried whole when they differ from the image's. */
const WHOLE_CONFIG = ['Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Healthcheck', 'StopSignal', 'StopTimeout', 'Tty', 'OpenStdin', 'StdinOnce', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Domainname'] as const;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

const statusOf = (error: unknown): number | undefined => (error as { statusCode?: number }).statusCode;

const messageOf = (error: unknown): string => {
  const json = (error as { json?: { message?: string } | null }).json;
  return json?.message ?? (error instanceof Error ? error.message : String(error));
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const NS_PER_MS = 1_000_000;

/** The Docker health state, when the container has a health check. */
const healthOf = (info: Dockerode.ContainerInspectInfo): { Status: string; Log?: Array<{ Output?: string }> } | undefined =>
  (info.State as { Health?: { Status: string; Log?: Array<{ Output?: string }> } }).Health;

/** The name an old container has while its successor proves itself. */
const setAsideName = (name: string): string => `${name}-citus-previous`;

/**
 * A gateway's container update: the one named container is replaced by a container of the new
 * image, made as the old one was (its own settings, its volumes and networks, not what it only
 * took from its old image), and the old one is kept, renamed `{name}-citus-previous` and stopped,
 * until the new one proves healthy: it passes its Docker health check, or, without one, keeps
 * running unrestarted for a while. A new container that fails is removed and the old one started
 * again under its name. A swap cut short (a crash, a lost engine) is put right by the next one:
 * a kept container whose successor is missing or unhealthy is brought back. No other container is
 * touched and no image is removed (the original system's gateway update deleted every image).
 */
export class ContainerSwap {
  private readonly healthTimeoutMs: number;
  private readonly settleMs: number;
  private readonly pullTimeoutMs: number;

  constructor(
    private readonly docker: Dockerode,
    options: ContainerSwapOptions = {},
  ) {
    this.healthTimeoutMs = options.healthTimeoutMs ?? 300_000;
    this.settleMs = options.settleMs ?? 10_000;
    this.pullTimeoutMs = options.pullTimeoutMs ?? 15 * 60_000;
  }

  async replace(name: string, image: string, step: Step): Promise<SwapOutcome> {
    const restored = await this.recover(name);
    const info = await this.inspectNamed(name);
    if (!info) return { replaced: false, reason: `there is no container named ${name} on this gateway${restored ? ` (${restored})` : ''}` };
    if (info.HostConfig.AutoRemove) return { replaced: false, reason: `${name} is removed when it stops (--rm): there would be nothing to roll back to` };
    // Progress reports are for people; a lost one does not stop the swap.
    const say = (what: string) => step(what).catch(() => undefined);
    await say('pulling');
    const pulled = await this.pull(image);
    if ('reason' in pulled) return { replaced: false, reason: pulled.reason };
    if (pulled.imageId === info.Image) return { replaced: false, current: true };

    await say('replacing');
    // By id from here on: its name changes while the new container proves itself.
    const current = this.docker.getContainer(info.Id);
    const oldImage = await this.docker.getImage(info.Image).inspect().catch(() => undefined);
    try {
      // Renamed while it runs, then stopped: should either fail, it is put back as it was.
      await current.rename({ name: setAsideName(name) });
      // Without `t` the engine waits the container's own stop timeout.
      await current.stop().catch((error: unknown) => {
        if (statusOf(error) !== 304) throw error;
      });
    } catch (error) {
      const back = await this.restore(current, name);
      return { replaced: false, reason: `${name} could not be set aside (${messageOf(error)})${back ? `; ${back}` : ''}` };
    }
    let created: Dockerode.Container | undefined;
    let health: { healthy: true } | { healthy: false; reason: string };
    try {
      created = await this.create(name, image, info, oldImage?.Config);
      await created.start();
      if ((await created.inspect()).Image !== pulled.imageId) throw new Error(`the new container does not run the pulled image ${pulled.imageId}`);
      await say('health-check');
      health = await this.waitHealthy(created);
    } catch (error) {
      health = { healthy: false, reason: `could not be started (${messageOf(error)})` };
    }
    if (health.healthy) {
      // The swap is done; a kept container that will not go is removed by the next swap.
      await current.remove({ force: true }).catch(() => undefined);
      return { replaced: true, previousImage: info.Config.Image };
    }
    // The new container goes, and the old one gets its name back, running.
    if (created) await created.remove({ force: true }).catch(() => undefined);
    const back = await this.restore(current, name);
    return { replaced: false, reason: `the new container ${health.reason}; ${back ?? `rolled back to ${info.Config.Image}`}` };
  }

  /**
   * Puts right a swap that was cut short: a kept container comes back when its successor is
   * missing or not healthy, and goes when the successor is healthy. Answers what it did, if anything.
   */
  private async recover(name: string): Promise<string | undefined> {
    const previous = await this.inspectNamed(setAsideName(name));
    if (!previous) return undefined;
    const successor = await this.inspectNamed(name);
    // A successor proven healthy (or running, with no check to prove) keeps its place; one still being checked does not.
    const health = successor && healthOf(successor)?.Status;
    if (successor?.State.Running && (health === 'healthy' || health === undefined)) {
      await this.docker.getContainer(previous.Id).remove({ force: true });
      return undefined;
    }
    if (successor) await this.docker.getContainer(successor.Id).remove({ force: true });
    const back = await this.restore(this.docker.getContainer(previous.Id), name);
    return back ?? `brought back ${name} on ${previous.Config.Image}, which an interrupted update had set aside`;
  }

  /** The container of exactly that name (the engine would also take an id or an id's prefix). */
  private async inspectNamed(name: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
    const info = await this.docker
      .getContainer(name)
      .inspect()
      .catch((error: unknown) => {
        if (statusOf(error) === 404) return undefined;
        throw error;
      });
    return info?.Name === `/${name}` ? info : undefined;
  }

  /** Pulls the image (by its digest: the registry's content is what was signed) unless the engine has it. */
  private async pull(image: string): Promise<{ imageId: string } | { reason: string }> {
    const present = await this.docker.getImage(image).inspect().catch(() => undefined);
    if (present) return { imageId: present.Id };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.pullTimeoutMs);
    try {
      const stream = await this.docker.pull(image, { abortSignal: abort.signal });
      await new Promise<void>((resolve, reject) => {
        abort.signal.addEventListener('abort', () => reject(new Error(`no image after ${this.pullTimeoutMs / 1000} s`)));
        this.docker.modem.followProgress(stream, (error: Error | null, events: Array<{ error?: string }>) => {
          const failed = error?.message ?? events.find((event) => event.error)?.error;
          if (failed) reject(new Error(failed));
          else resolve();
        });
      });
      return { imageId: (await this.docker.getImage(image).inspect()).Id };
    } catch (error) {
      return { reason: `the image ${image} could not be pulled: ${messageOf(error)}` };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Creates the new container: the old one's host settings, volumes and networks, and those of
   * its settings that differ from its old image's (entry by entry for the environment and labels),
   * so what the new image says applies unless the container was made to override it.
   */
  private async create(name: string, image: string, info: Dockerode.ContainerInspectInfo, oldImage: Dockerode.ImageInspectInfo['Config'] | undefined): Promise<Dockerode.Container> {
    const own = info.Config as unknown as Record<string, unknown>;
    const fromImage = (oldImage ?? {}) as unknown as Record<string, unknown>;
    const config: Record<string, unknown> = {};
    for (const key of WHOLE_CONFIG) {
      if (own[key] !== undefined && own[key] !== null && !same(own[key], fromImage[key])) config[key] = own[key];
    }
    for (const key of KEYED_CONFIG) {
      const mine = (own[key] ?? {}) as Record<string, unknown>;
      const theirs = (fromImage[key] ?? {}) as Record<string, unknown>;
      const differing = Object.entries(mine).filter(([entry, value]) => !(entry in theirs) || !same(value, theirs[entry]));
      if (differing.length > 0) config[key] = Object.fromEntries(differing);
    }
    const imageEnv = new Set((oldImage?.Env ?? []) as string[]);
    const env = (info.Config.Env ?? []).filter((entry) => !imageEnv.has(entry));
    if (env.length > 0) config.Env = env;

    const mode = info.HostConfig.NetworkMode ?? 'default';
    // A name given by the engine (the old container's short id) or taken from another container's network is not the container's own.
    const ownHostname = !mode.startsWith('container:') && info.Config.Hostname !== info.Id.slice(0, 12);
    const hostConfig: Dockerode.HostConfig = { ...info.HostConfig, Mounts: [...(info.HostConfig.Mounts ?? []), ...this.anonymousVolumes(info)] };
    const networks = Object.entries(info.NetworkSettings.Networks ?? {});
    const endpoint = (settings: Dockerode.EndpointSettings): Dockerode.EndpointSettings => ({
      ...(settings.IPAMConfig ? { IPAMConfig: settings.IPAMConfig } : {}),
      ...(settings.Links ? { Links: settings.Links } : {}),
      ...(settings.Aliases ? { Aliases: settings.Aliases.filter((alias) => alias !== info.Id.slice(0, 12)) } : {}),
      ...(settings.MacAddress ? { MacAddress: settings.MacAddress } : {}),
      ...(settings.DriverOpts ? { DriverOpts: settings.DriverOpts } : {}),
    });
    const primary = networks.find(([network]) => network === mode) ?? (['default', 'bridge'].includes(mode) ? networks.find(([network]) => network === 'bridge') : undefined);
    const created = await this.docker.createContainer({
      ...config,
      name,
      Image: image,
      ...(ownHostname ? { Hostname: info.Config.Hostname } : {}),
      HostConfig: hostConfig,
      ...(primary ? { NetworkingConfig: { EndpointsConfig: { [primary[0]]: endpoint(primary[1]) } } } : {}),
    });
    // Older engines take one network at creation: the others are joined before the start.
    for (const [network, settings] of networks) {
      if (primary && network === primary[0]) continue;
      if (['host', 'none'].includes(network) || mode.startsWith('container:')) continue;
      await this.docker.getNetwork(network).connect({ Container: created.id, EndpointConfig: endpoint(settings) });
    }
    return created;
  }

  /** Volumes the engine made for the container (an image's VOLUME, `-v /path`): the new one mounts the same. */
  private anonymousVolumes(info: Dockerode.ContainerInspectInfo): Dockerode.MountSettings[] {
    const named = new Set([
      ...(info.HostConfig.Binds ?? []).map((bind) => bind.split(':')[1]),
      ...(info.HostConfig.Mounts ?? []).map((mount) => mount.Target),
    ]);
    return info.Mounts.filter((mount) => mount.Type === 'volume' && mount.Name && !named.has(mount.Destination)).map((mount) => ({
      Type: 'volume' as const,
      Source: mount.Name as string,
      Target: mount.Destination,
      ReadOnly: !mount.RW,
    }));
  }

  private async waitHealthy(container: Dockerode.Container): Promise<{ healthy: true } | { healthy: false; reason: string }> {
    const first = await container.inspect();
    const check = first.Config.Healthcheck;
    const checked = check?.Test !== undefined && check.Test[0] !== 'NONE';
    // The check's own timings (the engine's defaults: 30 s apart, 3 tries), within the cap.
    const own = checked ? ((check.StartPeriod ?? 0) + ((check.Interval || 30_000 * NS_PER_MS) + (check.Timeout || 30_000 * NS_PER_MS)) * ((check.Retries || 3) + 1)) / NS_PER_MS : 0;
    const limitMs = checked ? Math.min(this.healthTimeoutMs, Math.max(own, 10_000)) : this.settleMs;
    const deadline = Date.now() + limitMs;
    for (;;) {
      const now = await container.inspect();
      const state = now.State;
      if (!state.Running || state.Restarting) return { healthy: false, reason: `stopped (exit code ${state.ExitCode})` };
      if (state.StartedAt !== first.State.StartedAt || now.RestartCount !== first.RestartCount) return { healthy: false, reason: 'restarted' };
      const health = healthOf(now);
      if (checked && health?.Status === 'healthy') return { healthy: true };
      if (checked && health?.Status === 'unhealthy') {
        const output = health.Log?.at(-1)?.Output?.trim().slice(0, 200);
        return { healthy: false, reason: `failed its health check${output ? ` (${output})` : ''}` };
      }
      if (Date.now() >= deadline) return checked ? { healthy: false, reason: `was not healthy within ${Math.round(limitMs / 1000)} s` } : { healthy: true };
      await sleep(500);
    }
  }

  /**
   * Gives a set-aside container its name back and starts it. The name may still be held for a
   * moment by a container being removed, so the rename is tried again for a while; the container
   * is started whatever its name. Answers what went wrong, if anything.
   */
  private async restore(previous: Dockerode.Container, name: string): Promise<string | undefined> {
    let renameError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const { Name } = await previous.inspect();
        if (Name !== `/${name}`) await previous.rename({ name });
        renameError = undefined;
        break;
      } catch (error) {
        renameError = error;
        if (statusOf(error) !== 409) break;
        await sleep(250);
      }
    }
    const started = await previous.start().then(
      () => undefined,
      (error: unknown) => (statusOf(error) === 304 ? undefined : error),
    );
    const problems = [renameError && `its name could not be given back (${messageOf(renameError)})`, started && `it could not be started (${messageOf(started)})`].filter(Boolean);
    return problems.length > 0 ? `the previous container needs a hand: ${problems.join('; ')}` : undefined;
  }
}
