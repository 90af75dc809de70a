import { DEV, HOME, OTHER, REVIEWER, aManifest, anApp, aVersion, appStore } from './support/app-fixture.js';
import type { AppRecord, StatusChange } from '../src/domain/app.model.js';

const appId = (n: number): string => `app_${n.toString(16).padStart(24, '0')}`;

/** The status change that moves `version` of `app` on, made by `actor` at `at`. */
const change = (app: AppRecord, version: string, from: StatusChange['from'], to: StatusChange['to'], at: number, reason?: string): StatusChange => ({
  workspaceId: app.workspaceId,
  appId: app.appId,
  version,
  from,
  to,
  actor: to === 'approved' || to === 'rejected' ? REVIEWER : DEV,
  at,
  ...(reason === undefined ? {} : { reason }),
});

// The SQLite adapter against a real file: scoping, uniqueness, the audit trail, races, the queue and the marketplace.
describe('SqliteAppRepository', () => {
  let store: ReturnType<typeof appStore>;
  beforeEach(() => {
    store = appStore();
  });
  afterEach(() => store.destroy());

  /** An app whose versions went through `statuses`, each one a step further, with the audit entries to match. */
  async function appWith(app: AppRecord, versions: Array<{ version: string; to: Array<StatusChange['to']> }>, reason?: string) {
    const [first, ...rest] = versions;
    if (!first) throw new Error('no version');
    expect(await store.repository.insertApp(app, aVersion(app, { version: first.version }))).toBe(true);
    for (const { version } of rest) expect(await store.repository.insertVersion(aVersion(app, { version }))).toBe(true);
    let at = 2_000;
    for (const { version, to } of versions) {
      let from: StatusChange['from'] = 'draft';
      for (const status of to) {
        expect(await store.repository.changeStatus(change(app, version, from, status, at++, status === 'rejected' ? reason : undefined))).toBe(true);
        from = status;
      }
    }
  }

  it('stores an app and its first version, and keeps them across a restart', async () => {
    const app = anApp();
    const first = aVersion(app);
    expect(await store.repository.insertApp(app, first)).toBe(true);
    const repository = store.reopen();
    expect(await repository.findApp(HOME.id, app.appId)).toEqual(app);
    expect(await repository.listVersions(HOME.id, app.appId)).toEqual([first]);
    expect(await repository.findVersion(HOME.id, app.appId, '1.0.0')).toEqual(first);
    expect(await repository.auditTrail(HOME.id, app.appId)).toEqual([{ appId: app.appId, version: '1.0.0', to: 'draft', actor: DEV, at: 1_000 }]);
  });

  it("scopes every read to the app's workspace, except the review lookup", async () => {
    const app = anApp();
    await store.repository.insertApp(app, aVersion(app));
    expect(await store.repository.findApp(OTHER.id, app.appId)).toBeUndefined();
    expect(await store.repository.listApps(OTHER.id)).toEqual([]);
    expect(await store.repository.listVersions(OTHER.id, app.appId)).toEqual([]);
    expect(await store.repository.findVersion(OTHER.id, app.appId, '1.0.0')).toBeUndefined();
    expect(await store.repository.auditTrail(OTHER.id, app.appId)).toEqual([]);
    expect(await store.repository.changeStatus({ ...change(app, '1.0.0', 'draft', 'pending_review', 2_000), workspaceId: OTHER.id })).toBe(false);
    expect((await store.repository.findVersion(HOME.id, app.appId, '1.0.0'))?.status).toBe('draft');
    expect(await store.repository.findAppForReview(app.appId)).toEqual(app);
  });

  it('keeps names unique per workspace and versions unique per app, storing nothing for a refused insert', async () => {
    const app = anApp();
    await store.repository.insertApp(app, aVersion(app));
    const twin = anApp({ appId: appId(2) });
    expect(await store.repository.insertApp(twin, aVersion(twin))).toBe(false);
    expect(await store.repository.findApp(HOME.id, twin.appId)).toBeUndefined();
    const elsewhere = anApp({ appId: appId(3), workspaceId: OTHER.id, workspaceSlug: OTHER.slug });
    expect(await store.repository.insertApp(elsewhere, aVersion(elsewhere))).toBe(true);

    expect(await store.repository.insertVersion(aVersion(app, { version: '1.0.0', createdAt: 5_000 }))).toBe(false);
    expect(await store.repository.insertVersion(aVersion(app, { version: '1.1.0' }))).toBe(true);
    expect((await store.repository.listVersions(HOME.id, app.appId)).map((version) => version.version)).toEqual(['1.0.0', '1.1.0']);
    expect(await store.repository.auditTrail(HOME.id, app.appId)).toHaveLength(2);
  });

  it('lists apps by name with their newest version (by creation, not by text)', async () => {
    await appWith(anApp({ appId: appId(1), name: 'zeta' }), [{ version: '9.0.0', to: [] }, { version: '10.0.0', to: ['pending_review'] }]);
    await appWith(anApp({ appId: appId(2), name: 'alpha' }), [{ version: '1.0.0', to: ['pending_review', 'approved', 'published'] }]);
    const listed = await store.repository.listApps(HOME.id);
    expect(listed.map((app) => [app.name, app.latest, app.listedVersion])).toEqual([
      ['alpha', { version: '1.0.0', status: 'published' }, '1.0.0'],
      ['zeta', { version: '10.0.0', status: 'pending_review' }, undefined],
    ]);
  });

  it('changes a status only from the expected one, with an audit entry in the same transaction', async () => {
    const app = anApp();
    await appWith(app, [{ version: '1.0.0', to: ['pending_review', 'rejected'] }], 'no health check');
    // A second reviewer who read "pending_review" before the first one decided.
    expect(await store.repository.changeStatus(change(app, '1.0.0', 'pending_review', 'approved', 9_000))).toBe(false);
    const version = await store.repository.findVersion(HOME.id, app.appId, '1.0.0');
    expect(version).toMatchObject({ status: 'rejected', rejectionReason: 'no health check', updatedAt: 2_001 });
    expect(await store.reopen().auditTrail(HOME.id, app.appId)).toEqual([
      { appId: app.appId, version: '1.0.0', to: 'draft', actor: DEV, at: 1_000 },
      { appId: app.appId, version: '1.0.0', from: 'draft', to: 'pending_review', actor: DEV, at: 2_000 },
      { appId: app.appId, version: '1.0.0', from: 'pending_review', to: 'rejected', actor: REVIEWER, at: 2_001, reason: 'no health check' },
    ]);
  });

  it('lists the version last published', async () => {
    const app = anApp();
    await appWith(app, [
      { version: '1.0.0', to: ['pending_review', 'approved', 'published'] },
      { version: '1.1.0', to: ['pending_review', 'approved', 'published'] },
    ]);
    expect((await store.repository.findApp(HOME.id, app.appId))?.listedVersion).toBe('1.1.0');
    expect((await store.repository.marketplace({ limit: 10 })).map(({ version }) => version.version)).toEqual(['1.1.0']);
  });

  it('queues pending versions of every workspace, longest waiting first', async () => {
    await appWith(anApp({ appId: appId(1), name: 'late' }), [{ version: '1.0.0', to: [] }]);
    const other = anApp({ appId: appId(2), name: 'early', workspaceId: OTHER.id, workspaceSlug: OTHER.slug });
    await appWith(other, [{ version: '1.0.0', to: ['pending_review'] }, { version: '2.0.0', to: [] }]);
    const home = anApp({ appId: appId(1), name: 'late' });
    await store.repository.changeStatus(change(home, '1.0.0', 'draft', 'pending_review', 5_000));
    const queue = await store.repository.pendingReviews(10);
    expect(queue.map(({ app, version }) => [app.workspaceSlug, app.name, version.version])).toEqual([
      ['other', 'early', '1.0.0'],
      ['home', 'late', '1.0.0'],
    ]);
    expect(await store.repository.pendingReviews(1)).toHaveLength(1);
  });

  it('finds listed apps of every workspace by text and category, page by page', async () => {
    const published = ['pending_review', 'approved', 'published'] as const;
    const apps = [
      { app: anApp({ appId: appId(1), name: 'pump-watch' }), manifest: { description: 'Watches pumps', category: 'monitoring' } },
      { app: anApp({ appId: appId(2), name: 'flow-chart', workspaceId: OTHER.id, workspaceSlug: OTHER.slug }), manifest: { description: 'Charts of PUMP flow', category: 'dashboards' } },
      { app: anApp({ appId: appId(3), name: 'alerts' }), manifest: { description: 'Alerts by mail, 100% sure', category: 'monitoring' } },
      { app: anApp({ appId: appId(4), name: 'draft-pump' }), manifest: { description: 'Not published', category: 'monitoring' } },
    ] as const;
    for (const [index, { app, manifest }] of apps.entries()) {
      const first = aVersion(app, { manifest: aManifest({ name: app.name, ...manifest }) });
      expect(await store.repository.insertApp(app, first)).toBe(true);
      let from: StatusChange['from'] = 'draft';
      for (const to of index === 3 ? [] : published) {
        await store.repository.changeStatus(change(app, '1.0.0', from, to, 3_000));
        from = to;
      }
    }
    const names = async (search: Parameters<typeof store.repository.marketplace>[0]) =>
      (await store.repository.marketplace(search)).map(({ app }) => app.name);
    expect(await names({ limit: 10 })).toEqual(['alerts', 'flow-chart', 'pump-watch']);
    expect(await names({ limit: 10, text: 'pump' })).toEqual(['flow-chart', 'pump-watch']);
    expect(await names({ limit: 10, text: 'pump', category: 'monitoring' })).toEqual(['pump-watch']);
    expect(await names({ limit: 10, category: 'dashboards' })).toEqual(['flow-chart']);
    // LIKE's wildcards in the text are plain characters.
    expect(await names({ limit: 10, text: '100%' })).toEqual(['alerts']);
    expect(await names({ limit: 10, text: '_' })).toEqual([]);
    expect(await names({ limit: 2 })).toEqual(['alerts', 'flow-chart']);
    expect(await names({ limit: 2, after: { name: 'flow-chart', appId: appId(2) } })).toEqual(['pump-watch']);
    const [listing] = await store.repository.marketplace({ limit: 1 });
    expect(listing?.version).toMatchObject({ status: 'published', version: '1.0.0' });
  });
});
