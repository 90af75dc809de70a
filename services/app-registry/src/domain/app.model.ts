import type { AppActor, AppCategory, AppManifest, AppVersionStatus } from '@citus/contracts';

export type Actor = AppActor;

export interface AppRecord {
  workspaceId: string;
  /** Kept for the marketplace and the review queue, which show where an app comes from. */
  workspaceSlug: string;
  appId: string;
  name: string;
  createdAt: number;
  createdBy: Actor;
  /** The published version the marketplace lists. */
  listedVersion?: string;
  /** Versions the app's webhook brings are approved at once; platform admins set it. */
  autoApprove: boolean;
}

export interface AppVersionRecord {
  workspaceId: string;
  appId: string;
  version: string;
  status: AppVersionStatus;
  manifest: AppManifest;
  createdAt: number;
  createdBy: Actor;
  updatedAt: number;
  rejectionReason?: string;
}

/** An app with its newest version's label and status, for lists. */
export interface AppListItem extends AppRecord {
  latest: { version: string; status: AppVersionStatus };
}

export interface AuditRecord {
  appId: string;
  version: string;
  /** Absent for the version's creation. */
  from?: AppVersionStatus;
  to: AppVersionStatus;
  actor: Actor;
  at: number;
  reason?: string;
}

export interface StatusChange {
  workspaceId: string;
  appId: string;
  version: string;
  from: AppVersionStatus;
  to: AppVersionStatus;
  actor: Actor;
  at: number;
  reason?: string;
}

export interface VersionOfApp {
  app: AppRecord;
  version: AppVersionRecord;
}

export interface MarketplaceSearch {
  /** Found in the name or the listed version's description, ignoring ASCII case. */
  text?: string;
  category?: AppCategory;
  limit: number;
  /** Listings come by name, then id: the page starts after this one. */
  after?: { name: string; appId: string };
}

/**
 * Port: where apps, their versions and the audit trail are kept. Every read and write is scoped
 * to a workspace, except the platform admin's review (`pendingReviews`, `findAppForReview`) and the
 * marketplace, which shows published apps to everyone.
 */
export interface AppRepository {
  /** Stores the app, its first version and that version's creation in the audit trail; false when the workspace has an app of that name. */
  insertApp(app: AppRecord, first: AppVersionRecord): Promise<boolean>;
  /** Stores the version and its creation in the audit trail; false when the app has that version. */
  insertVersion(version: AppVersionRecord): Promise<boolean>;
  findApp(workspaceId: string, appId: string): Promise<AppRecord | undefined>;
  /** Whatever its workspace: for platform admins reviewing versions. */
  findAppForReview(appId: string): Promise<AppRecord | undefined>;
  /** By name. */
  listApps(workspaceId: string): Promise<AppListItem[]>;
  /** Oldest first. */
  listVersions(workspaceId: string, appId: string): Promise<AppVersionRecord[]>;
  findVersion(workspaceId: string, appId: string, version: string): Promise<AppVersionRecord | undefined>;
  /**
   * Moves the version from `change.from` to `change.to` and appends the change to the audit trail,
   * at once; a version published becomes the app's listed one. False when the version no longer
   * has status `from` (another change came first).
   */
  changeStatus(change: StatusChange): Promise<boolean>;
  /** Oldest first. */
  auditTrail(workspaceId: string, appId: string): Promise<AuditRecord[]>;
  /** Versions of every workspace pending review, longest waiting first. */
  pendingReviews(limit: number): Promise<VersionOfApp[]>;
  /** Listed versions of every workspace's apps. */
  marketplace(search: MarketplaceSearch): Promise<VersionOfApp[]>;
  /** The app's listed version, whatever its workspace: for installs from the marketplace. */
  findListed(appId: string): Promise<VersionOfApp | undefined>;
  /** Whatever its workspace (platform admins set it); false when there is no such app. */
  setAutoApprove(appId: string, autoApprove: boolean): Promise<boolean>;
}
