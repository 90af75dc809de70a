import type { EventBus, Logger, PlatformEvents } from '@citus/kit';
import type { DeviceRepository } from '../domain/device.model.js';
import type { RegistryChange, RegistryChangeFeed, RegistryChangeSubscription } from '../domain/registry-change.model.js';
import type { RegistryDirectory } from './registry.directory.js';

export interface RegistryFollowerOptions {
  /**
   * Whether to announce `certificate.revoked` and `thing.deleted` for what the registry's changes
   * show: yes in a process without the device-lifecycle service (the hub apart), no beside it,
   * which announces its own writes already and would otherwise announce them twice.
   */
  emitEvents: boolean;
  logger: Logger;
  /** For tests: runs between the feed being ready and the load, to write what neither may miss. */
  beforeLoad?: () => Promise<void>;
}

/**
 * Keeps a `RegistryDirectory` in step with the registry, whoever writes it. The order of `start`
 * closes the gap between loading and following: the feed is opened first, the directory loaded
 * after (a Scan), and only then are changes applied, the ones held back meanwhile first. A change
 * the load already saw is applied again harmlessly, each being the item's state after the write.
 */
export class RegistryFollower {
  private subscription: RegistryChangeSubscription | undefined;

  constructor(
    private readonly directory: RegistryDirectory,
    private readonly events: EventBus,
    private readonly options: RegistryFollowerOptions,
  ) {}

  async start(feed: RegistryChangeFeed, repository: Pick<DeviceRepository, 'directoryEntries'>): Promise<void> {
    let release: (apply: boolean) => void = () => undefined;
    const loaded = new Promise<boolean>((resolve) => (release = resolve));
    const subscription = feed.start(async (changes) => {
      // Held (the feed waits for this) until the load is in: applied before, they would be overwritten by it.
      if (!(await loaded)) return;
      for (const change of changes) this.apply(change);
    });
    this.subscription = subscription;
    try {
      await subscription.ready();
      await this.options.beforeLoad?.();
      await this.directory.load(repository);
    } catch (error) {
      // Lets a batch held back go, so the feed can stop.
      release(false);
      await this.stop();
      throw error;
    }
    release(true);
    this.options.logger.info('registry directory loaded; following the registry stream');
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
  }

  lagMs(): number {
    return this.subscription?.lagMs() ?? 0;
  }

  private apply(change: RegistryChange): void {
    switch (change.kind) {
      case 'thing-added':
        this.directory.addThing(change.thing);
        return;
      case 'thing-removed':
        this.directory.removeThing(change.thing.thingName);
        if (change.deviceDeleted) this.announce('thing.deleted', change.thing);
        return;
      case 'certificate-active':
        this.directory.addCertificate(change.certificate);
        return;
      case 'certificate-inactive':
        this.directory.removeCertificates([change.certificateId]);
        if (change.revokedNow) this.announce('certificate.revoked', { thingName: change.thingName, certificateId: change.certificateId });
        return;
    }
  }

  private announce<K extends 'thing.deleted' | 'certificate.revoked'>(event: K, payload: PlatformEvents[K]): void {
    if (this.options.emitEvents) this.events.emit(event, payload);
  }
}
