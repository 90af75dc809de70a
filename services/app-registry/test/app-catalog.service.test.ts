import { AppError } from '@citus/kit';
import { AppCatalogService } from '../src/app/app-catalog.service.js';
import { AppReviewService } from '../src/app/app-review.service.js';
import { MarketplaceService } from '../src/app/marketplace.service.js';
import { DEV, HOME, OTHER, REVIEWER, aManifest, appStore } from './support/app-fixture.js';

/** The AppError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

// The use cases on the real SQLite adapter, with a clock that moves one second per call.
describe('the app catalog, review and marketplace use cases', () => {
  let store: ReturnType<typeof appStore>;
  let catalog: AppCatalogService;
  let reviews: AppReviewService;
  let marketplace: MarketplaceService;
  beforeEach(() => {
    store = appStore();
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const now = () => (clock += 1_000);
    catalog = new AppCatalogService(store.repository, now);
    reviews = new AppReviewService(store.repository, now);
    marketplace = new MarketplaceService(store.repository);
  });
  afterEach(() => store.destroy());

  it('creates an app with a draft, which only an approval makes deployable', async () => {
    const app = await catalog.create(HOME, DEV, aManifest());
    expect(app).toMatchObject({ name: 'pump-watch', workspaceSlug: 'home', latestVersion: { version: '1.0.0', status: 'draft' } });
    expect(app.versions).toEqual([expect.objectContaining({ status: 'draft', deployable: false, createdBy: DEV, createdAt: '2026-01-01T00:00:01.000Z' })]);
    const refused = await failure(catalog.deployableVersion(HOME.id, app.id, '1.0.0'));
    expect([refused.code, refused.message]).toEqual(['conflict', 'version 1.0.0 is draft: only approved or published versions can be deployed']);

    await catalog.submit(HOME.id, app.id, '1.0.0', DEV);
    expect(await failure(catalog.deployableVersion(HOME.id, app.id, '1.0.0'))).toMatchObject({ code: 'conflict' });
    expect(await reviews.approve(app.id, '1.0.0', REVIEWER)).toMatchObject({ status: 'approved', deployable: true });
    expect(await catalog.deployableVersion(HOME.id, app.id, '1.0.0')).toMatchObject({ status: 'approved', manifest: aManifest() });
  });

  it('answers 409 with what the status allows, and changes nothing', async () => {
    const app = await catalog.create(HOME, DEV, aManifest());
    const early = await failure(catalog.publish(HOME.id, app.id, '1.0.0', DEV));
    expect(early).toMatchObject({
      code: 'conflict',
      message: 'version 1.0.0 is draft, so it cannot be published; allowed now: submit',
      details: { status: 'draft', allowed: ['submit'] },
    });
    await catalog.submit(HOME.id, app.id, '1.0.0', DEV);
    expect(await failure(catalog.submit(HOME.id, app.id, '1.0.0', DEV))).toMatchObject({ details: { status: 'pending_review', allowed: ['approve', 'reject'] } });
    await reviews.reject(app.id, '1.0.0', REVIEWER, 'listens on 80, not $PORT');
    const final = await failure(reviews.approve(app.id, '1.0.0', REVIEWER));
    expect(final.message).toBe('version 1.0.0 is rejected, so it cannot be approved; nothing more can be done to it');
    expect((await catalog.audit(HOME.id, app.id)).items.map((entry) => entry.to)).toEqual(['draft', 'pending_review', 'rejected']);
  });

  it('takes new versions of the app by the same name only, each version once', async () => {
    const app = await catalog.create(HOME, DEV, aManifest());
    expect(await failure(catalog.create(HOME, DEV, aManifest({ version: '2.0.0' })))).toMatchObject({ code: 'conflict' });
    expect((await catalog.create(OTHER, DEV, aManifest())).workspaceSlug).toBe('other');
    const renamed = await failure(catalog.addVersion(HOME.id, app.id, DEV, aManifest({ name: 'pump-spy', version: '1.1.0' })));
    expect([renamed.code, renamed.message]).toEqual(['bad_request', 'the manifest names app pump-spy, not pump-watch: an app keeps its name']);
    expect(await failure(catalog.addVersion(HOME.id, app.id, DEV, aManifest()))).toMatchObject({ code: 'conflict' });
    expect(await catalog.addVersion(HOME.id, app.id, DEV, aManifest({ version: '1.1.0' }))).toMatchObject({ version: '1.1.0', status: 'draft' });
    expect((await catalog.get(HOME.id, app.id)).latestVersion).toEqual({ version: '1.1.0', status: 'draft' });
  });

  it("treats another workspace's app as none", async () => {
    const app = await catalog.create(HOME, DEV, aManifest());
    for (const attempt of [
      catalog.get(OTHER.id, app.id),
      catalog.audit(OTHER.id, app.id),
      catalog.submit(OTHER.id, app.id, '1.0.0', DEV),
      catalog.publish(OTHER.id, app.id, '1.0.0', DEV),
      catalog.addVersion(OTHER.id, app.id, DEV, aManifest({ version: '2.0.0' })),
      catalog.deployableVersion(OTHER.id, app.id, '1.0.0'),
    ]) {
      expect(await failure(attempt)).toMatchObject({ code: 'not_found', message: 'app not found' });
    }
    expect(await failure(catalog.submit(HOME.id, app.id, '9.9.9', DEV))).toMatchObject({ code: 'not_found', message: 'app version not found' });
    expect(await failure(reviews.approve('app_000000000000000000000000', '1.0.0', REVIEWER))).toMatchObject({ code: 'not_found' });
  });

  it('gives reviewers the queue of every workspace and lists what is published, page by page', async () => {
    const names = ['alpha', 'beta', 'gamma'];
    for (const [index, name] of names.entries()) {
      const app = await catalog.create(index === 1 ? OTHER : HOME, DEV, aManifest({ name }));
      await catalog.submit(index === 1 ? OTHER.id : HOME.id, app.id, '1.0.0', DEV);
    }
    const queue = await reviews.queue();
    expect(queue.items.map((item) => [item.workspaceSlug, item.appName])).toEqual([['home', 'alpha'], ['other', 'beta'], ['home', 'gamma']]);
    for (const item of queue.items) {
      await reviews.approve(item.version.appId, '1.0.0', REVIEWER);
      await catalog.publish(item.workspaceSlug === 'other' ? OTHER.id : HOME.id, item.version.appId, '1.0.0', DEV);
    }
    expect((await reviews.queue()).items).toEqual([]);

    const first = await marketplace.search({ limit: 2 });
    expect(first.items.map((item) => item.name)).toEqual(['alpha', 'beta']);
    expect(first.items[0]).toEqual({
      appId: queue.items[0]?.version.appId,
      name: 'alpha',
      workspaceSlug: 'home',
      version: '1.0.0',
      description: 'Watches pumps and warns of dry runs',
      category: 'monitoring',
      scopes: [],
      publishedAt: expect.any(String),
    });
    const second = await marketplace.search({ limit: 2, cursor: first.next });
    expect([second.items.map((item) => item.name), second.next]).toEqual([['gamma'], undefined]);
    for (const cursor of ['not-a-cursor', Buffer.from('{"a":1}').toString('base64url')]) {
      expect(await failure(marketplace.search({ limit: 2, cursor }))).toMatchObject({ code: 'bad_request', message: 'invalid cursor' });
    }
  });
});
