import {
  App,
  AppAuditTrail,
  AppList,
  AppReviewQueue,
  AppVersion,
  ErrorEnvelope,
  MarketplacePage,
  type AppManifest,
  type User,
} from '@citus/contracts';
import { ADMIN_PASSWORD, Api, bootTestPlatform, type TestPlatform } from './support/test-platform.js';

const manifest = (overrides: Partial<AppManifest> = {}) => ({
  name: 'pump-watch',
  version: '1.0.0',
  description: 'Watches pumps and warns of dry runs',
  category: 'monitoring',
  image: 'citus/pump-watch:1.0.0',
  env: { LOG_LEVEL: 'info' },
  secrets: ['SLACK_TOKEN'],
  scopes: ['telemetry:read', 'devices:read'],
  ...overrides,
});

// Story 4 and 5 over HTTP: developers submit, platform admins review, an approved version is
// published and listed in the marketplace; every step in the audit trail; workspaces kept apart.
describe('app review through the platform', () => {
  let platform: TestPlatform;
  let admin: Api; // platform admin, admin of "default"
  let dev: Api; // developer of "default"
  let dora: Api; // plain user of "default"
  let bob: Api; // developer of "bravo" only
  let users: Record<string, User>;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    expect((await admin.post('/api/v1/workspaces', { slug: 'bravo', name: 'Bravo' })).status).toBe(201);
    users = {};
    for (const [username, workspace, role] of [['dev', 'default', 'developer'], ['dora', 'default', 'user'], ['bob', 'bravo', 'developer']] as const) {
      const user = await admin.post<User>('/api/v1/users', { username, password: `${username}-Passw0rd!` });
      users[username] = user.body;
      expect((await admin.put(`/api/v1/workspaces/${workspace}/members`, { userId: user.body.id, role })).status).toBe(200);
    }
    dev = await Api.login(platform.baseUrl, 'dev', 'dev-Passw0rd!');
    dora = await Api.login(platform.baseUrl, 'dora', 'dora-Passw0rd!');
    bob = await Api.login(platform.baseUrl, 'bob', 'bob-Passw0rd!', 'bravo');
  });
  afterAll(() => platform.destroy());

  it('takes an app from draft through rejection and a new version to the marketplace, with the whole audit trail', async () => {
    // A plain user may read the workspace's apps but not create or submit them.
    const refused = await dora.post<ErrorEnvelope>('/api/v1/apps', manifest());
    expect([refused.status, refused.body.error?.message]).toEqual([403, 'requires the developer role']);

    const created = await dev.post<App>('/api/v1/apps', manifest());
    expect(created.status).toBe(201);
    const app = App.parse(created.body);
    expect(app).toMatchObject({ name: 'pump-watch', workspaceSlug: 'default', latestVersion: { version: '1.0.0', status: 'draft' } });
    // Secrets are declared by name; the manifest carries no value for them.
    expect(app.versions[0]?.manifest).toMatchObject({ secrets: ['SLACK_TOKEN'], readOnlyRootFilesystem: true, resources: { memoryMb: 256 } });
    const versions = `/api/v1/apps/${app.id}/versions`;

    expect((await dora.post(`${versions}/1.0.0/submit`)).status).toBe(403);
    const submitted = await dev.post<AppVersion>(`${versions}/1.0.0/submit`);
    expect([submitted.status, AppVersion.parse(submitted.body).status]).toEqual([200, 'pending_review']);

    // Reviewing is the platform admins' alone, a developer's own app included.
    expect((await dev.post(`${versions}/1.0.0/approve`)).status).toBe(403);
    expect((await dev.get('/api/v1/reviews')).status).toBe(403);
    const queue = AppReviewQueue.parse((await admin.get<AppReviewQueue>('/api/v1/reviews')).body);
    expect(queue.items.map((item) => [item.workspaceSlug, item.appName, item.version.version])).toEqual([['default', 'pump-watch', '1.0.0']]);

    const noReason = await admin.post<ErrorEnvelope>(`${versions}/1.0.0/reject`, { reason: '' });
    expect([noReason.status, noReason.body.error.code]).toEqual([400, 'bad_request']);
    const rejected = await admin.post<AppVersion>(`${versions}/1.0.0/reject`, { reason: 'does not listen on $PORT' });
    expect(AppVersion.parse(rejected.body)).toMatchObject({ status: 'rejected', rejectionReason: 'does not listen on $PORT', deployable: false });

    const notApproved = await dev.post<ErrorEnvelope>(`${versions}/1.0.0/publish`);
    expect([notApproved.status, notApproved.body.error.details]).toEqual([409, { status: 'rejected', allowed: [] }]);

    // The fix comes as a new version, reviewed from the start.
    const fixed = await dev.post<AppVersion>(versions, manifest({ version: '1.1.0', image: 'citus/pump-watch:1.1.0' }));
    expect([fixed.status, AppVersion.parse(fixed.body).status]).toEqual([201, 'draft']);
    expect((await dev.post(`${versions}/1.1.0/publish`)).status).toBe(409);
    expect((await dev.post(`${versions}/1.1.0/submit`)).status).toBe(200);
    const approved = await admin.post<AppVersion>(`${versions}/1.1.0/approve`);
    expect(AppVersion.parse(approved.body)).toMatchObject({ status: 'approved', deployable: true });
    expect((await admin.get<AppReviewQueue>('/api/v1/reviews')).body.items).toEqual([]);
    const published = await dev.post<AppVersion>(`${versions}/1.1.0/publish`);
    expect([published.status, published.body.status]).toEqual([200, 'published']);

    const read = App.parse((await dora.get<App>(`/api/v1/apps/${app.id}`)).body);
    expect([read.listedVersion, read.versions.map((version) => [version.version, version.status])]).toEqual([
      '1.1.0',
      [['1.0.0', 'rejected'], ['1.1.0', 'published']],
    ]);
    expect(AppList.parse((await dora.get('/api/v1/apps')).body).items.map((item) => item.id)).toEqual([app.id]);

    const audit = AppAuditTrail.parse((await dora.get(`/api/v1/apps/${app.id}/audit`)).body);
    const by = (name: string) => ({ userId: users[name]?.id ?? expect.any(String), username: name });
    expect(audit.items.map(({ version, from, to, actor, reason }) => ({ version, from, to, actor, reason }))).toEqual([
      { version: '1.0.0', from: undefined, to: 'draft', actor: by('dev'), reason: undefined },
      { version: '1.0.0', from: 'draft', to: 'pending_review', actor: by('dev'), reason: undefined },
      { version: '1.0.0', from: 'pending_review', to: 'rejected', actor: by('admin'), reason: 'does not listen on $PORT' },
      { version: '1.1.0', from: undefined, to: 'draft', actor: by('dev'), reason: undefined },
      { version: '1.1.0', from: 'draft', to: 'pending_review', actor: by('dev'), reason: undefined },
      { version: '1.1.0', from: 'pending_review', to: 'approved', actor: by('admin'), reason: undefined },
      { version: '1.1.0', from: 'approved', to: 'published', actor: by('dev'), reason: undefined },
    ]);
    const times = audit.items.map((entry) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // Every signed-in user finds it in the marketplace, by text and by category; the other workspace too.
    for (const [api, query] of [[dora, 'q=DRY+RUN'], [bob, 'q=pump'], [bob, 'category=monitoring'], [dora, 'q=pump&category=monitoring']] as const) {
      const page = MarketplacePage.parse((await api.get(`/api/v1/marketplace?${query}`)).body);
      expect([query, page.items.map((item) => [item.name, item.version, item.workspaceSlug])]).toEqual([query, [['pump-watch', '1.1.0', 'default']]]);
      // What a listing shows of the manifest: nothing of its environment or image.
      expect(Object.keys(page.items[0] ?? {}).sort()).toEqual(['appId', 'category', 'description', 'name', 'publishedAt', 'scopes', 'version', 'workspaceSlug']);
    }
    for (const query of ['category=dashboards', 'q=nothing-like-this']) {
      expect((await dora.get<MarketplacePage>(`/api/v1/marketplace?${query}`)).body.items).toEqual([]);
    }
    const badCategory = await dora.get<ErrorEnvelope>('/api/v1/marketplace?category=games');
    expect([badCategory.status, badCategory.body.error.code]).toEqual([400, 'bad_request']);
  });

  it("keeps a workspace's unpublished apps from every other workspace", async () => {
    const created = await bob.post<App>('/api/v1/apps', manifest({ name: 'bravo-secret', description: 'Only for Bravo' }));
    expect(created.status).toBe(201);
    const { id } = created.body;
    expect((await bob.post(`/api/v1/apps/${id}/versions/1.0.0/submit`)).status).toBe(200);

    for (const path of [`/api/v1/apps/${id}`, `/api/v1/apps/${id}/audit`]) {
      const answer = await dev.get<ErrorEnvelope>(path);
      expect([path, answer.status, answer.body.error.message]).toEqual([path, 404, 'app not found']);
    }
    expect((await dev.post(`/api/v1/apps/${id}/versions/1.0.0/publish`)).status).toBe(404);
    expect((await dev.post(`/api/v1/apps/${id}/versions`, manifest({ name: 'bravo-secret', version: '2.0.0' }))).status).toBe(404);
    expect((await dev.get<AppList>('/api/v1/apps')).body.items.map((item) => item.name)).toEqual(['pump-watch']);
    expect((await bob.get<AppList>('/api/v1/apps')).body.items.map((item) => item.name)).toEqual(['bravo-secret']);
    expect((await dora.get<MarketplacePage>('/api/v1/marketplace?q=secret')).body.items).toEqual([]);
    // The platform admin sees it in the review queue, whichever workspace the admin acts in.
    const queue = (await admin.get<AppReviewQueue>('/api/v1/reviews')).body;
    expect(queue.items.map((item) => [item.workspaceSlug, item.appName])).toEqual([['bravo', 'bravo-secret']]);
  });

  it('lets a workspace admin who is no platform admin neither review nor see the review queue', async () => {
    const wanda = await admin.post<User>('/api/v1/users', { username: 'wanda', password: 'wanda-Passw0rd!' });
    expect((await admin.put('/api/v1/workspaces/default/members', { userId: wanda.body.id, role: 'admin' })).status).toBe(200);
    const workspaceAdmin = await Api.login(platform.baseUrl, 'wanda', 'wanda-Passw0rd!');
    const created = await workspaceAdmin.post<App>('/api/v1/apps', manifest({ name: 'own-review' }));
    expect(created.status).toBe(201);
    expect((await workspaceAdmin.post(`/api/v1/apps/${created.body.id}/versions/1.0.0/submit`)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', `/api/v1/apps/${created.body.id}/versions/1.0.0/approve`, undefined],
      ['POST', `/api/v1/apps/${created.body.id}/versions/1.0.0/reject`, { reason: 'not mine to judge' }],
      ['GET', '/api/v1/reviews', undefined],
    ] as const) {
      expect([method, path, (await workspaceAdmin.request(method, path, body)).status]).toEqual([method, path, 403]);
    }
    expect((await admin.get<App>(`/api/v1/apps/${created.body.id}`)).body.latestVersion).toMatchObject({ status: 'pending_review' });
  });

  it('lists a published app with its icon in the marketplace', async () => {
    const icon = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
    const created = await dev.post<App>('/api/v1/apps', manifest({ name: 'tank-gauge', description: 'Shows tank levels as gauges', category: 'dashboards', icon }));
    expect(created.status).toBe(201);
    const appId = created.body.id;
    expect((await dev.post(`/api/v1/apps/${appId}/versions/1.0.0/submit`)).status).toBe(200);
    expect((await admin.post(`/api/v1/apps/${appId}/versions/1.0.0/approve`)).status).toBe(200);
    expect((await dev.post(`/api/v1/apps/${appId}/versions/1.0.0/publish`)).status).toBe(200);
    const page = MarketplacePage.parse((await bob.get('/api/v1/marketplace?category=dashboards')).body);
    expect(page.items.map((item) => [item.name, item.icon])).toEqual([['tank-gauge', icon]]);
  });

  it('explains everything that is wrong with a manifest at once', async () => {
    const answer = await dev.post<ErrorEnvelope>('/api/v1/apps', manifest({ name: 'Bad Name', image: 'no spaces allowed', env: { PORT: '80' } }));
    expect(answer.status).toBe(400);
    const issues = answer.body.error.details as Array<{ path: string[]; message: string }>;
    expect(issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['name', expect.stringMatching(/lowercase letters/)],
      ['image', expect.stringMatching(/repo\[:tag\]/)],
      ['env.PORT', 'PORT: PORT, HOST and CITUS_* are set by the platform'],
    ]);
    const taken = await dev.post<ErrorEnvelope>('/api/v1/apps', manifest({ version: '3.0.0' }));
    expect([taken.status, taken.body.error.message]).toEqual([409, 'this workspace has an app named pump-watch']);
  });
});
