import { DockerHubPushPayload } from '@citus/contracts';
import { deploymentsToRedeploy, sameRepository, versionForTag } from '../src/domain/delivery.rules.js';
import type { DeploymentRecord } from '../src/domain/deployment.model.js';
import { DEV, HOME, OTHER } from './support/app-fixture.js';

const aDeployment = (n: number, overrides: Partial<DeploymentRecord>): DeploymentRecord => ({
  deploymentId: `dep_${n.toString(16).padStart(24, '0')}`,
  workspaceId: HOME.id,
  workspaceSlug: HOME.slug,
  appId: `app_${'0'.repeat(23)}1`,
  appName: 'pump-watch',
  version: '1.0.0',
  containerName: `citus-dep-${n}`,
  hostPort: 40_000 + n,
  routePrefix: '/',
  env: {},
  secrets: {},
  follow: 'tag',
  createdAt: 1_000,
  createdBy: DEV,
  ...overrides,
});

// Docker Hub's push payload, as its documentation shows it (docs.docker.com/docker-hub/repos/manage/webhooks), shortened.
const dockerHubPush = {
  callback_url: 'https://registry.hub.docker.com/u/svendowideit/testhook/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/',
  push_data: { pushed_at: 1417566161, pusher: 'trustedbuilder', tag: 'latest' },
  repository: { comment_count: 0, date_created: 1417494799, name: 'testhook', namespace: 'svendowideit', repo_name: 'svendowideit/testhook', status: 'Active' },
};

describe('the Docker Hub push payload', () => {
  it('reads the tag and repository of what Docker Hub sends, leaving the rest', () => {
    expect(DockerHubPushPayload.parse(dockerHubPush)).toEqual({ push_data: { tag: 'latest' }, repository: { repo_name: 'svendowideit/testhook' } });
  });

  it.each([
    ['no push_data', { repository: dockerHubPush.repository }],
    ['no repository', { push_data: dockerHubPush.push_data }],
    ['a tag that is no Docker tag', { ...dockerHubPush, push_data: { tag: 'a tag' } }],
    ['a tag of 129 characters', { ...dockerHubPush, push_data: { tag: 'a'.repeat(129) } }],
    ['an empty repository name', { ...dockerHubPush, repository: { repo_name: '' } }],
    ['not an object', 'push'],
  ])('refuses %s', (_case, payload) => {
    expect(DockerHubPushPayload.safeParse(payload).success).toBe(false);
  });
});

describe('the version a pushed tag becomes', () => {
  it('is the tag when it is a new semantic version, with or without a v', () => {
    expect(versionForTag('1.4.0', '1.0.0', ['1.0.0'])).toBe('1.4.0');
    expect(versionForTag('v2.0.0-rc.1', '1.0.0', ['1.0.0'])).toBe('2.0.0-rc.1');
  });

  it('is the next free patch after the newest version for other tags and for a version the app has', () => {
    expect(versionForTag('latest', '1.2.3', ['1.2.3'])).toBe('1.2.4');
    expect(versionForTag('2', '1.0.0-rc.1', ['1.0.0-rc.1', '1.0.1'])).toBe('1.0.2');
    expect(versionForTag('1.0.0', '1.0.0', ['1.0.0'])).toBe('1.0.1');
  });
});

describe('the deployments an approved version redeploys', () => {
  const versions = ['1.0.0', '1.1.0', '1.2.0'];

  it('are the following ones of the app that run an older version', () => {
    const older = aDeployment(1, { version: '1.0.0' });
    const same = aDeployment(2, { version: '1.1.0', appName: 'b' });
    const newer = aDeployment(3, { version: '1.2.0', appName: 'c' });
    expect(deploymentsToRedeploy([older, same, newer], versions, '1.1.0')).toEqual([older]);
  });

  it('leave pinned deployments, deployments without a follow setting and installed copies alone', () => {
    const pinned = aDeployment(1, { follow: 'pinned' });
    const { follow: _follow, ...unset } = aDeployment(2, {});
    const installed = aDeployment(3, { installedFrom: { workspaceId: OTHER.id, workspaceSlug: OTHER.slug } });
    expect(deploymentsToRedeploy([pinned, unset, installed], versions, '1.2.0')).toEqual([]);
  });

  it('take a deployment that follows one tag only for a version whose image has that tag', () => {
    const stable = aDeployment(1, { followTag: 'stable' });
    const any = aDeployment(2, {});
    expect(deploymentsToRedeploy([stable, any], versions, '1.1.0', 'dev')).toEqual([any]);
    expect(deploymentsToRedeploy([stable, any], versions, '1.1.0', 'stable')).toEqual([stable, any]);
    expect(deploymentsToRedeploy([stable, any], versions, '1.1.0')).toEqual([any]);
  });

  it('are none for a version the app does not have', () => {
    expect(deploymentsToRedeploy([aDeployment(1, {})], versions, '9.9.9')).toEqual([]);
  });
});

describe('the repository a push must name', () => {
  it.each([
    ['citus-test/hello', 'citus-test/hello', true],
    ['docker.io/acme/pump', 'acme/pump', true],
    ['docker.io/library/nginx', 'nginx', true],
    ['registry.example.com:5000/acme/pump', 'acme/pump', false],
    ['acme/pump', 'acme/pumps', false],
  ])('%s and %s: %s', (image, pushed, same) => {
    expect(sameRepository(image, pushed)).toBe(same);
  });
});
