import type { ActiveCertificateEntry, DeviceRepository, ThingEntry } from '../domain/device.model.js';

/**
 * What the hub asks the registry on every connect and publish, answered from memory: which
 * workspace a thing belongs to, and which thing an active certificate is attached to. The hub's
 * checks are synchronous, and a round trip to DynamoDB on each publish would cost more than the
 * publish itself.
 *
 * Loaded from the repository at start, then kept up to date by this process's own writes (the
 * device and provisioning services call it once their write has succeeded). On the SQLite
 * registry that is all there is: one process writes it. On the DynamoDB registry a
 * `RegistryFollower` also applies the registry table's stream to it (`openStreamedDirectory`), so
 * a write made by another instance is seen here within the stream's lag (about a second): until
 * then a device declared or activated there is refused here, and a certificate revoked there is
 * still accepted here.
 *
 * Revocation is final (a certificate id is never reused), so a revoked id is remembered and never
 * added again: a stream record of its earlier activation, applied after the revocation this
 * process made itself, cannot bring it back.
 */
export class RegistryDirectory {
  private readonly workspaces = new Map<string, string>();
  private readonly certificates = new Map<string, { thingName: string; workspaceId: string; notAfterMs: number }>();
  private readonly revoked = new Set<string>();

  async load(repository: Pick<DeviceRepository, 'directoryEntries'>): Promise<void> {
    const { things, activeCertificates } = await repository.directoryEntries();
    this.workspaces.clear();
    this.certificates.clear();
    for (const thing of things) this.addThing(thing);
    for (const certificate of activeCertificates) this.addCertificate(certificate);
  }

  addThing({ thingName, workspaceId }: ThingEntry): void {
    this.workspaces.set(thingName, workspaceId);
  }

  removeThing(thingName: string): void {
    this.workspaces.delete(thingName);
  }

  addCertificate({ id, thingName, workspaceId, notAfter }: ActiveCertificateEntry): void {
    if (this.revoked.has(id)) return;
    this.certificates.set(id, { thingName, workspaceId, notAfterMs: Date.parse(notAfter) });
  }

  removeCertificates(ids: readonly string[]): void {
    for (const id of ids) {
      this.certificates.delete(id);
      this.revoked.add(id);
    }
  }

  workspaceOfThing(thingName: string): string | undefined {
    return this.workspaces.get(thingName);
  }

  /** The thing of a certificate that is active and not expired at `nowMs`. */
  activeCertificate(id: string, nowMs: number): ThingEntry | undefined {
    const certificate = this.certificates.get(id);
    if (!certificate || certificate.notAfterMs <= nowMs) return undefined;
    return { thingName: certificate.thingName, workspaceId: certificate.workspaceId };
  }
}
