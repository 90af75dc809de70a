import { z } from 'zod';
import { WorkspaceSlug } from './identity.schema.js';
import { AppCategory, AppId, AppManifest, AppName, AppScope, AppVersionAction, AppVersionLabel, AppVersionStatus } from './app.schema.js';

export const MAX_MARKETPLACE_LIMIT = 100;

export const AppPathParams = z.object({ appId: AppId });
export type AppPathParams = z.infer<typeof AppPathParams>;

export const AppVersionPathParams = z.object({ appId: AppId, version: AppVersionLabel });
export type AppVersionPathParams = z.infer<typeof AppVersionPathParams>;

export const RejectAppVersionRequest = z
  .object({ reason: z.string().trim().min(1, 'a reason is required').max(2000, 'at most 2000 characters') })
  .strict();
export type RejectAppVersionRequest = z.infer<typeof RejectAppVersionRequest>;

/** Who did something: the user's id and, for people reading the trail, their username. */
export const AppActor = z.object({ userId: z.string(), username: z.string() });
export type AppActor = z.infer<typeof AppActor>;

export const AppVersion = z.object({
  appId: AppId,
  version: AppVersionLabel,
  status: AppVersionStatus,
  manifest: AppManifest,
  createdAt: z.string(),
  createdBy: AppActor,
  updatedAt: z.string(),
  /** Why a reviewer rejected it. */
  rejectionReason: z.string().optional(),
  /** Whether it may be deployed: approved or published. */
  deployable: z.boolean(),
});
export type AppVersion = z.infer<typeof AppVersion>;

export const AppSummary = z.object({
  id: AppId,
  name: AppName,
  workspaceSlug: WorkspaceSlug,
  createdAt: z.string(),
  /** The newest version, whatever its status. */
  latestVersion: z.object({ version: AppVersionLabel, status: AppVersionStatus }),
  /** The version the marketplace lists, once one is published. */
  listedVersion: AppVersionLabel.optional(),
});
export type AppSummary = z.infer<typeof AppSummary>;

export const AppList = z.object({ items: z.array(AppSummary) });
export type AppList = z.infer<typeof AppList>;

/**
 * How an app's new versions are reviewed. `autoApprove`: a version its webhook brings is approved
 * at once (audited as `webhook`) instead of waiting in the review queue. Platform admins set it,
 * since it lets a workspace's pushes skip their review.
 */
export const AppPolicy = z.object({ autoApprove: z.boolean() }).strict();
export type AppPolicy = z.infer<typeof AppPolicy>;

/** An app with every version, oldest first. */
export const App = AppSummary.extend({ policy: AppPolicy, versions: z.array(AppVersion) });
export type App = z.infer<typeof App>;

/** A version waiting for a platform admin, with where it comes from. */
export const AppReview = z.object({ workspaceSlug: WorkspaceSlug, appName: AppName, version: AppVersion });
export type AppReview = z.infer<typeof AppReview>;

/** `GET /reviews`: pending versions of every workspace, longest waiting first. */
export const AppReviewQueue = z.object({ items: z.array(AppReview) });
export type AppReviewQueue = z.infer<typeof AppReviewQueue>;

/** One change of a version's status. `from` is absent for the version's creation. */
export const AppAuditEntry = z.object({
  appId: AppId,
  version: AppVersionLabel,
  from: AppVersionStatus.optional(),
  to: AppVersionStatus,
  actor: AppActor,
  at: z.string(),
  reason: z.string().optional(),
});
export type AppAuditEntry = z.infer<typeof AppAuditEntry>;

/** Oldest first. */
export const AppAuditTrail = z.object({ items: z.array(AppAuditEntry) });
export type AppAuditTrail = z.infer<typeof AppAuditTrail>;

/** The body of a 409 answer's `details`: what the version's status allows instead. */
export const AppTransitionConflict = z.object({ status: AppVersionStatus, allowed: z.array(AppVersionAction) });
export type AppTransitionConflict = z.infer<typeof AppTransitionConflict>;

export const MarketplaceQuery = z.object({
  /** Text found in the name or the description, ignoring case. */
  q: z.string().trim().min(1, 'q must hold some text').max(100, 'at most 100 characters').optional(),
  category: AppCategory.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_MARKETPLACE_LIMIT).default(20),
  cursor: z.string().max(512).optional(),
});
export type MarketplaceQuery = z.infer<typeof MarketplaceQuery>;

/** A published app as every signed-in user sees it: the listed version's public part of the manifest. */
export const MarketplaceListing = z.object({
  appId: AppId,
  name: AppName,
  workspaceSlug: WorkspaceSlug,
  version: AppVersionLabel,
  description: z.string(),
  icon: z.string().optional(),
  category: AppCategory,
  scopes: z.array(AppScope),
  publishedAt: z.string(),
});
export type MarketplaceListing = z.infer<typeof MarketplaceListing>;

/** By name; `next` is the cursor of the following page, when there is one. */
export const MarketplacePage = z.object({ items: z.array(MarketplaceListing), next: z.string().optional() });
export type MarketplacePage = z.infer<typeof MarketplacePage>;
