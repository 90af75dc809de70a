import { AppVersionAction, AppVersionStatus } from '@citus/contracts';
import { allowedActions, isDeployableStatus, transition } from '../src/domain/app-version.rules.js';
import { canDeploy } from '../src/app/app-version.transitions.js';

describe('the review lifecycle of an app version', () => {
  it.each([
    ['draft', 'submit', 'pending_review'],
    ['pending_review', 'approve', 'approved'],
    ['pending_review', 'reject', 'rejected'],
    ['approved', 'publish', 'published'],
  ] as const)('%s --%s--> %s', (from, action, to) => {
    expect(transition(from, action)).toEqual({ ok: true, to });
  });

  it('refuses every other move, saying what the status allows', () => {
    const allowed = Object.fromEntries(AppVersionStatus.options.map((status) => [status, allowedActions(status)]));
    expect(allowed).toEqual({
      draft: ['submit'],
      pending_review: ['approve', 'reject'],
      approved: ['publish'],
      // A rejected version is fixed by a new version, reviewed from the start.
      rejected: [],
      published: [],
    });
    for (const status of AppVersionStatus.options) {
      for (const action of AppVersionAction.options.filter((action) => !allowed[status]?.includes(action))) {
        expect([status, action, transition(status, action)]).toEqual([status, action, { ok: false, allowed: allowed[status] }]);
      }
    }
  });

  it('lets only reviewed and approved versions be deployed', () => {
    const deployable = AppVersionStatus.options.filter((status) => isDeployableStatus(status));
    expect(deployable).toEqual(['approved', 'published']);
    expect(AppVersionStatus.options.filter((status) => canDeploy({ status }))).toEqual(deployable);
  });
});
