import type { AppPolicy, AppReviewQueue, AppVersion } from '@citus/contracts';
import { notFound } from '@citus/kit';
import type { Actor, AppRepository, AppVersionRecord } from '../domain/app.model.js';
import { versionView } from './app.views.js';
import { applyAction } from './app-version.transitions.js';

/** The review queue answers at most this many versions: a queue longer than that is a backlog to work down, not to page through. */
export const REVIEW_QUEUE_LIMIT = 500;

/**
 * Platform admins' review of app versions (story 5), across workspaces: the only use case besides
 * the marketplace that is not scoped to the caller's workspace. The HTTP adapter lets only
 * platform admins in.
 */
export class AppReviewService {
  constructor(
    private readonly repository: AppRepository,
    private readonly now: () => number = Date.now,
    /** Told of each approval before it is answered: deployments following the app are redeployed then. */
    private readonly onApproved: (version: AppVersionRecord) => Promise<void> = async () => {},
  ) {}

  async queue(): Promise<AppReviewQueue> {
    const pending = await this.repository.pendingReviews(REVIEW_QUEUE_LIMIT);
    return {
      items: pending.map(({ app, version }) => ({ workspaceSlug: app.workspaceSlug, appName: app.name, version: versionView(version) })),
    };
  }

  async approve(appId: string, version: string, reviewer: Actor): Promise<AppVersion> {
    const approved = await applyAction(this.repository, this.now(), await this.version(appId, version), 'approve', reviewer);
    await this.onApproved(approved);
    return versionView(approved);
  }

  /** Whether the app's webhook versions skip review: a platform admin's call, as a review is. */
  async setPolicy(appId: string, policy: AppPolicy): Promise<AppPolicy> {
    if (!(await this.repository.setAutoApprove(appId, policy.autoApprove))) throw notFound('app');
    return policy;
  }

  async reject(appId: string, version: string, reviewer: Actor, reason: string): Promise<AppVersion> {
    return versionView(await applyAction(this.repository, this.now(), await this.version(appId, version), 'reject', reviewer, reason));
  }

  private async version(appId: string, version: string): Promise<AppVersionRecord> {
    const app = await this.repository.findAppForReview(appId);
    if (!app) throw notFound('app');
    const found = await this.repository.findVersion(app.workspaceId, appId, version);
    if (!found) throw notFound('app version');
    return found;
  }
}
