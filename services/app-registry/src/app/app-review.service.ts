import type { AppReviewQueue, AppVersion } from '@citus/contracts';
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
  ) {}

  async queue(): Promise<AppReviewQueue> {
    const pending = await this.repository.pendingReviews(REVIEW_QUEUE_LIMIT);
    return {
      items: pending.map(({ app, version }) => ({ workspaceSlug: app.workspaceSlug, appName: app.name, version: versionView(version) })),
    };
  }

  async approve(appId: string, version: string, reviewer: Actor): Promise<AppVersion> {
    return versionView(await applyAction(this.repository, this.now(), await this.version(appId, version), 'approve', reviewer));
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
