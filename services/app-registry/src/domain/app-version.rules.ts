import { AppVersionAction, type AppVersionStatus } from '@citus/contracts';

/**
 * The review lifecycle of one app version: draft -> pending_review -> approved | rejected, and
 * approved -> published. Rejected is final for that version: the developer fixes the app in a new
 * version, which is reviewed from the start, so no unreviewed change can reach a deployment.
 */
const TRANSITIONS: Record<AppVersionAction, { from: AppVersionStatus; to: AppVersionStatus }> = {
  submit: { from: 'draft', to: 'pending_review' },
  approve: { from: 'pending_review', to: 'approved' },
  reject: { from: 'pending_review', to: 'rejected' },
  publish: { from: 'approved', to: 'published' },
};

/** Only versions a platform admin approved may run: published ones were approved first. */
const DEPLOYABLE: ReadonlySet<AppVersionStatus> = new Set(['approved', 'published']);

export type Transition = { ok: true; to: AppVersionStatus } | { ok: false; allowed: AppVersionAction[] };

/** What may be done to a version in `status`. */
export function allowedActions(status: AppVersionStatus): AppVersionAction[] {
  return AppVersionAction.options.filter((action) => TRANSITIONS[action].from === status);
}

/** Where `action` takes a version in `status`, or what its status allows instead. */
export function transition(status: AppVersionStatus, action: AppVersionAction): Transition {
  const rule = TRANSITIONS[action];
  return rule.from === status ? { ok: true, to: rule.to } : { ok: false, allowed: allowedActions(status) };
}

export function isDeployableStatus(status: AppVersionStatus): boolean {
  return DEPLOYABLE.has(status);
}
