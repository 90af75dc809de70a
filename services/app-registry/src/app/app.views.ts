import type { App, AppAuditEntry, AppSummary, AppVersion, MarketplaceListing } from '@citus/contracts';
import type { AppListItem, AppRecord, AppVersionRecord, AuditRecord } from '../domain/app.model.js';
import { isDeployableStatus } from '../domain/app-version.rules.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function versionView(version: AppVersionRecord): AppVersion {
  return {
    appId: version.appId,
    version: version.version,
    status: version.status,
    manifest: version.manifest,
    createdAt: iso(version.createdAt),
    createdBy: version.createdBy,
    updatedAt: iso(version.updatedAt),
    ...(version.rejectionReason === undefined ? {} : { rejectionReason: version.rejectionReason }),
    deployable: isDeployableStatus(version.status),
  };
}

export function summaryView(app: AppListItem): AppSummary {
  return {
    id: app.appId,
    name: app.name,
    workspaceSlug: app.workspaceSlug,
    createdAt: iso(app.createdAt),
    latestVersion: app.latest,
    ...(app.listedVersion === undefined ? {} : { listedVersion: app.listedVersion }),
  };
}

/** `versions` oldest first, at least one: an app is created with its first version. */
export function appView(app: AppRecord, versions: readonly AppVersionRecord[]): App {
  const newest = versions.at(-1);
  if (!newest) throw new Error(`app ${app.appId} has no version`);
  return {
    ...summaryView({ ...app, latest: { version: newest.version, status: newest.status } }),
    policy: { autoApprove: app.autoApprove },
    versions: versions.map(versionView),
  };
}

export function auditView(entry: AuditRecord): AppAuditEntry {
  return {
    appId: entry.appId,
    version: entry.version,
    ...(entry.from === undefined ? {} : { from: entry.from }),
    to: entry.to,
    actor: entry.actor,
    at: iso(entry.at),
    ...(entry.reason === undefined ? {} : { reason: entry.reason }),
  };
}

/** The public part of a listed version: never its env values, image or secrets' names. */
export function listingView(app: AppRecord, version: AppVersionRecord): MarketplaceListing {
  const { manifest } = version;
  return {
    appId: app.appId,
    name: app.name,
    workspaceSlug: app.workspaceSlug,
    version: version.version,
    description: manifest.description,
    ...(manifest.icon === undefined ? {} : { icon: manifest.icon }),
    category: manifest.category,
    scopes: manifest.scopes,
    publishedAt: iso(version.updatedAt),
  };
}
