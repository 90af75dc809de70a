import type { ActiveCertificateEntry, DeviceRepository, ThingEntry } from '../domain/device.model.js';

export type DirectoryEntries = Awaited<ReturnType<DeviceRepository['directoryEntries']>>;

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
    this.replace(await repository.directoryEntries());
  }

  /** Everything known so far gives way to the entries (a full read of the registry); revoked ids stay revoked. */
  replace({ things, activeCertificates }: DirectoryEntries): void {
    this.workspaces.clear();
    this.certificates.clear();
    for (const thing of things) this.addThing(thing);
    for (const certificate of activeCertificates) this.addCertificate(certificate);
  }

  addThing({ thingName, workspaceId }: ThingEntry): void {
    this.workspaces.set(thingName, workspaceId);
  }

  /** Whether the thing was known: false when this process removed it already. */
  removeThing(thingName: string): boolean {
    return this.workspaces.delete(thingName);
  }

  addCertificate({ id, thingName, workspaceId, notAfter }: ActiveCertificateEntry): void {
    if (this.revoked.has(id)) return;
    this.certificates.set(id, { thingName, workspaceId, notAfterMs: Date.parse(notAfter) });
  }

  /** The ids that were known as active: the others this process removed already, or never knew. */
  removeCertificates(ids: readonly string[]): string[] {
    const known = ids.filter((id) => this.certificates.delete(id));
    for (const id of ids) this.revoked.add(id);
    return known;
  }

  /** The ids of the thing's certificates known as active (expired or not). A scan: for the rare deletion only. */
  certificatesOf(thingName: string): string[] {
    return [...this.certificates].filter(([, certificate]) => certificate.thingName === thingName).map(([id]) => id);
  }

  workspaceOfThing(thingName: string): string | undefined {
    return this.workspaces.get(thingName);
  }

  /** Every thing of the workspace. A scan: for the hub's dynamic thing groups, evaluated on request, not per message. */
  thingsOf(workspaceId: string): string[] {
    return [...this.workspaces].filter(([, owner]) => owner === workspaceId).map(([thingName]) => thingName);
  }

  /** The thing of a certificate that is active and not expired at `nowMs`. */
  activeCertificate(id: string, nowMs: number): ThingEntry | undefined {
    const certificate = this.certificates.get(id);
    if (!certificate || certificate.notAfterMs <= nowMs) return undefined;
    return { thingName: certificate.thingName, workspaceId: certificate.workspaceId };
  }
}
