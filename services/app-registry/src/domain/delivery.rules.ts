import type { DeploymentRecord } from './deployment.model.js';

const SEMVER = /^v?((0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)$/;
const CORE = /^(\d+)\.(\d+)\.(\d+)/;

/**
 * The version label of an image tag pushed to an app's webhook: the tag itself when it is a new
 * semantic version (`1.4.0` or `v1.4.0`), else (`latest`, `2`, a re-pushed tag) the next patch
 * after the newest version that the app does not have yet.
 */
export function versionForTag(tag: string, newest: string, existing: readonly string[]): string {
  const taken = new Set(existing);
  const semver = SEMVER.exec(tag)?.[1];
  if (semver !== undefined && !taken.has(semver)) return semver;
  const [, major = '0', minor = '0', patch = '0'] = CORE.exec(newest) ?? [];
  for (let next = Number(patch) + 1; ; next += 1) {
    const label = `${major}.${minor}.${next}`;
    if (!taken.has(label)) return label;
  }
}

/**
 * The deployments a newly approved version replaces: those of the app's own workspace that follow
 * it and run an older version (versions in creation order), and, where a deployment follows one
 * tag, only when the version's image has that tag (`approvedTag`). Installed copies are left
 * alone: other workspaces get only what the publisher lists, never a version merely approved.
 */
export function deploymentsToRedeploy<T extends Pick<DeploymentRecord, 'follow' | 'followTag' | 'installedFrom' | 'version'>>(
  deployments: readonly T[],
  versionsOldestFirst: readonly string[],
  approved: string,
  approvedTag?: string,
): T[] {
  const rank = (version: string): number => versionsOldestFirst.indexOf(version);
  const approvedRank = rank(approved);
  if (approvedRank < 0) return [];
  return deployments.filter(
    (deployment) =>
      deployment.follow === 'tag' &&
      !deployment.installedFrom &&
      (deployment.followTag === undefined || deployment.followTag === approvedTag) &&
      rank(deployment.version) < approvedRank,
  );
}

/** Docker Hub names a repository `namespace/name`; an image reference may add `docker.io/` or, for official images, `library/`. */
export function sameRepository(imageRepository: string, pushedRepository: string): boolean {
  const canonical = (repository: string): string =>
    repository
      .toLowerCase()
      .replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '')
      .replace(/^library\//, '');
  return canonical(imageRepository) === canonical(pushedRepository);
}
