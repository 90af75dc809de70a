import type { AppTransitionConflict, AppVersionAction } from '@citus/contracts';
import { AppError } from '@citus/kit';
import type { Actor, AppRepository, AppVersionRecord } from '../domain/app.model.js';
import { allowedActions, isDeployableStatus, transition } from '../domain/app-version.rules.js';

/** Whether a version may be deployed: only once a platform admin approved it (approved or published). */
export function canDeploy(version: Pick<AppVersionRecord, 'status'>): boolean {
  return isDeployableStatus(version.status);
}

const DONE: Record<AppVersionAction, string> = { submit: 'submitted', approve: 'approved', reject: 'rejected', publish: 'published' };

function refused(version: AppVersionRecord, action: AppVersionAction): AppError {
  const allowed = allowedActions(version.status);
  const details: AppTransitionConflict = { status: version.status, allowed };
  const instead = allowed.length > 0 ? `allowed now: ${allowed.join(', ')}` : 'nothing more can be done to it';
  return new AppError('conflict', `version ${version.version} is ${version.status}, so it cannot be ${DONE[action]}; ${instead}`, details);
}

/**
 * Applies `action` to a version and records it in the audit trail. A version whose status does not
 * allow it, or that another request changed first, answers 409 with what its status allows now.
 */
export async function applyAction(
  repository: AppRepository,
  at: number,
  version: AppVersionRecord,
  action: AppVersionAction,
  actor: Actor,
  reason?: string,
): Promise<AppVersionRecord> {
  const next = transition(version.status, action);
  if (!next.ok) throw refused(version, action);
  const { workspaceId, appId } = version;
  const applied = await repository.changeStatus({
    workspaceId,
    appId,
    version: version.version,
    from: version.status,
    to: next.to,
    actor,
    at,
    ...(reason === undefined ? {} : { reason }),
  });
  if (!applied) {
    const current = await repository.findVersion(workspaceId, appId, version.version);
    throw refused(current ?? version, action);
  }
  return { ...version, status: next.to, updatedAt: at, ...(action === 'reject' ? { rejectionReason: reason } : {}) };
}
