import type { EventBus, Logger, PlatformEvents } from '@citus/kit';
import type { DeviceRepository } from '../domain/device.model.js';
import type { RegistryChange, RegistryChangeFeed, RegistryChangeSubscription } from '../domain/registry-change.model.js';
import type { RegistryDirectory } from './registry.directory.js';

export interface RegistryFollowerOptions {
  /**
   * Whether to announce `certificate.revoked` and `thing.deleted` for the changes that are news to
   * the directory (see the class). False keeps the follower silent.
   */
  emitEvents: boolean;
  logger: Logger;
  /**
   * For tests: runs once the Scan has read the registry, before its result is applied. What it
   * writes is missing from that result, as a write racing a long Scan would be: only the stream,
   * opened before, can bring it.
   */
  duringLoad?: () => Promise<void>;
}

/**
 * Keeps a `RegistryDirectory` in step with the registry, whoever writes it. The order of `start`
 * closes the gap between loading and following: the feed is opened first, the directory loaded
 * after (a Scan), and only then are changes applied, the ones held back meanwhile first. A change
 * the load already saw is applied again harmlessly, each being the item's state after the write.
 *
 * A revocation or deletion is announced only when it is news to the directory: the certificate
 * was still active there, the thing still known. So the device-lifecycle service, which updates
 * the directory and announces its own writes as it makes them, does not hear them twice, while
 * another instance's writes reach this process's hub (its live sessions, its jobs and shadows);
 * and a record delivered again is not announced again.
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
      const entries = await repository.directoryEntries();
      await this.options.duringLoad?.();
      this.directory.replace(entries);
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
      case 'thing-removed': {
        const { thingName } = change.thing;
        // Deleting revokes the device's certificates in the same transaction, but the stream may list
        // them after the device: revoked here first, so the hub closes sessions before it cleans up.
        for (const certificateId of this.directory.removeCertificates(this.directory.certificatesOf(thingName))) {
          this.announce('certificate.revoked', { thingName, certificateId });
        }
        if (this.directory.removeThing(thingName)) this.announce('thing.deleted', change.thing);
        return;
      }
      case 'certificate-active':
        this.directory.addCertificate(change.certificate);
        return;
      case 'certificate-inactive':
        if (this.directory.removeCertificates([change.certificateId]).length > 0 && change.revokedNow) this.announce('certificate.revoked', { thingName: change.thingName, certificateId: change.certificateId });
        return;
    }
  }

  private announce<K extends 'thing.deleted' | 'certificate.revoked'>(event: K, payload: PlatformEvents[K]): void {
    if (this.options.emitEvents) this.events.emit(event, payload);
  }
}
