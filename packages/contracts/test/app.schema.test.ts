import { AppManifest, CreateDeploymentRequest, MAX_ICON_CHARS, parseImageReference, RejectAppVersionRequest, UpdateDeploymentRequest } from '../src/index.js';

const DIGEST = `sha256:${'a1'.repeat(32)}`;

const minimal = {
  name: 'pump-watch',
  version: '1.0.0',
  description: 'Watches pumps',
  category: 'monitoring',
  image: 'citus/pump-watch:1.0.0',
};

/** The messages of a failed parse, by path. */
function problems(value: unknown): Record<string, string> {
  const result = AppManifest.safeParse(value);
  if (result.success) return {};
  return Object.fromEntries(result.error.issues.map((issue) => [issue.path.join('.'), issue.message]));
}

describe('the app manifest', () => {
  it('fills safe defaults: http on $PORT, a health check, modest limits, a read-only root filesystem, no scopes', () => {
    expect(AppManifest.parse(minimal)).toEqual({
      ...minimal,
      port: { protocol: 'http' },
      env: {},
      secrets: [],
      resources: { memoryMb: 256, cpuMillicores: 500 },
      healthCheck: { path: '/healthz', intervalSeconds: 15, timeoutSeconds: 5, retries: 3 },
      scopes: [],
      routePrefix: '/',
      readOnlyRootFilesystem: true,
    });
  });

  it('takes a complete manifest', () => {
    const full = {
      ...minimal,
      icon: 'data:image/png;base64,iVBORw0KGgo=',
      image: `registry.local:5000/team/pump-watch:1.0.0@${DIGEST}`,
      env: { LOG_LEVEL: 'info' },
      secrets: ['SLACK_TOKEN'],
      resources: { memoryMb: 4096, cpuMillicores: 4000 },
      healthCheck: { path: '/ready', intervalSeconds: 30, timeoutSeconds: 2, retries: 5 },
      scopes: ['telemetry:read', 'shadows:write'],
      routePrefix: '/ui/',
      readOnlyRootFilesystem: false,
    };
    expect(AppManifest.parse(full)).toEqual({ ...full, port: { protocol: 'http' } });
  });

  it.each([
    ['citus/app', { repository: 'citus/app' }],
    ['app:v1.2', { repository: 'app', tag: 'v1.2' }],
    [`app@${DIGEST}`, { repository: 'app', digest: DIGEST }],
    [`localhost:5000/a/b_c.d:latest@${DIGEST}`, { repository: 'localhost:5000/a/b_c.d', tag: 'latest', digest: DIGEST }],
  ])('reads the image reference %s', (reference, parts) => {
    expect(parseImageReference(reference)).toEqual(parts);
  });

  it.each(['', 'App', 'app:', 'app:-x', 'app@sha256:abc', `app@md5:${'a'.repeat(32)}`, 'a//b', 'app name', '/app', `app:${'t'.repeat(129)}`])(
    'refuses the image reference %j',
    (reference) => {
      expect(parseImageReference(reference)).toBeUndefined();
      expect(problems({ ...minimal, image: reference }).image).toMatch(/repo\[:tag\]\[@sha256/);
    },
  );

  it('refuses bad names, versions, categories and icons with a message saying what is wanted', () => {
    expect(problems({ ...minimal, name: 'Pump Watch' }).name).toMatch(/lowercase letters/);
    expect(problems({ ...minimal, name: 'pump-' }).name).toMatch(/ending with a letter or digit/);
    expect(problems({ ...minimal, version: '1.0' }).version).toMatch(/semantic version/);
    expect(problems({ ...minimal, version: '01.0.0' }).version).toMatch(/semantic version/);
    expect(problems({ ...minimal, category: 'games' }).category).toMatch(/analytics/);
    expect(problems({ ...minimal, description: '  ' }).description).toMatch(/required/);
    expect(problems({ ...minimal, icon: 'http://example.com/icon.png' }).icon).toMatch(/https URL/);
    expect(problems({ ...minimal, icon: 'data:text/html;base64,PGI+' }).icon).toMatch(/data:image/);
    expect(problems({ ...minimal, icon: `data:image/png;base64,${'A'.repeat(MAX_ICON_CHARS)}` }).icon).toMatch(/at most/);
    expect(problems({ ...minimal, icon: 'https://example.com/icon.svg' })).toEqual({});
  });

  it('keeps the platform-set variables and secret values out of the manifest', () => {
    expect(problems({ ...minimal, env: { PORT: '80' } })['env.PORT']).toMatch(/set by the platform/);
    expect(problems({ ...minimal, env: { HOST: '127.0.0.1' } })['env.HOST']).toMatch(/set by the platform/);
    expect(problems({ ...minimal, secrets: ['CITUS_API_KEY'] })['secrets.0']).toMatch(/set by the platform/);
    expect(problems({ ...minimal, env: { '1X': 'a' } })['env.1X']).toMatch(/not starting with a digit/);
    expect(problems({ ...minimal, env: { TOKEN: 'a' }, secrets: ['TOKEN'] }).secrets).toMatch(/both a plain and a secret/);
    expect(problems({ ...minimal, secrets: ['A', 'A'] }).secrets).toMatch(/named twice/);
    // A secret is declared by name: a value there is refused, not stored.
    expect(Object.keys(problems({ ...minimal, secrets: [{ name: 'TOKEN', value: 'hunter2' }] }))).toEqual(['secrets.0']);
  });

  it('bounds resources and the health check, and knows only the platform scopes, http and paths', () => {
    expect(problems({ ...minimal, resources: { memoryMb: 8192 } })['resources.memoryMb']).toMatch(/at most 4096 MB/);
    expect(problems({ ...minimal, resources: { cpuMillicores: 5000 } })['resources.cpuMillicores']).toMatch(/at most 4000 millicores/);
    expect(problems({ ...minimal, resources: { memoryMb: 1 } })['resources.memoryMb']).toBeDefined();
    expect(problems({ ...minimal, healthCheck: { intervalSeconds: 5, timeoutSeconds: 5 } })['healthCheck.timeoutSeconds']).toMatch(/shorter/);
    expect(problems({ ...minimal, healthCheck: { path: 'healthz' } })['healthCheck.path']).toMatch(/absolute path/);
    expect(problems({ ...minimal, scopes: ['admin:all'] })['scopes.0']).toBeDefined();
    expect(problems({ ...minimal, scopes: ['devices:read', 'devices:read'] }).scopes).toMatch(/named twice/);
    expect(problems({ ...minimal, port: { protocol: 'tcp' } })['port.protocol']).toMatch(/only http/);
    expect(problems({ ...minimal, routePrefix: '/ui' }).routePrefix).toMatch(/end with "\/"/);
    expect(problems({ ...minimal, privileged: true })).toEqual({ '': expect.stringMatching(/privileged/) });
  });

  it('asks a reason of a rejection', () => {
    expect(RejectAppVersionRequest.safeParse({ reason: ' ' }).success).toBe(false);
    expect(RejectAppVersionRequest.parse({ reason: 'no health check' })).toEqual({ reason: 'no health check' });
  });
});

describe('a deployment\'s follow settings', () => {
  test('a followed tag is a Docker tag and needs follow: tag', () => {
    expect(CreateDeploymentRequest.parse({ version: '1.0.0', follow: 'tag', followTag: 'stable' })).toMatchObject({ follow: 'tag', followTag: 'stable' });
    const pinned = CreateDeploymentRequest.safeParse({ version: '1.0.0', followTag: 'stable' });
    expect(pinned.success ? [] : pinned.error.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([['followTag', 'followTag needs follow: tag']]);
    expect(UpdateDeploymentRequest.safeParse({ follow: 'pinned', followTag: 'stable' }).success).toBe(false);
    expect(UpdateDeploymentRequest.safeParse({ follow: 'tag', followTag: '-bad' }).success).toBe(false);
    expect(UpdateDeploymentRequest.safeParse({ follow: 'tag', followTag: 'x'.repeat(129) }).success).toBe(false);
    expect(UpdateDeploymentRequest.parse({ follow: 'tag' })).toEqual({ follow: 'tag' });
  });
});

describe('the app\'s port', () => {
  test('names what speaks there and, for an image with a fixed port, which one', () => {
    const base = { name: 'nginx-app', version: '1.0.0', description: 'A web server', category: 'utilities', image: 'nginx:1.27' };
    expect(AppManifest.parse(base).port).toEqual({ protocol: 'http' });
    expect(AppManifest.parse({ ...base, port: { protocol: 'http', containerPort: 80 } }).port).toEqual({ protocol: 'http', containerPort: 80 });
    for (const containerPort of [0, 65_536, 80.5]) expect(AppManifest.safeParse({ ...base, port: { protocol: 'http', containerPort } }).success).toBe(false);
    expect(AppManifest.safeParse({ ...base, port: { protocol: 'tcp' } }).success).toBe(false);
  });
});
