import type { Deployment, DeploymentStatus } from '@citus/contracts';
import type { StoredDeployment } from '../domain/deployment.model.js';

/** The path members reach a deployment at, through the platform's reverse proxy. */
export const deploymentUrl = (workspaceSlug: string, appName: string): string => `/apps/${workspaceSlug}/${appName}/`;

/** The engine's status (`RuntimeStatus`), `unknown` when it cannot be asked, or `unhealthy` when the platform's check fails. */
export interface ViewStatus {
  state: DeploymentStatus;
  detail?: string;
  replicas?: { desired: number; running: number };
}

/** A deployment as the API shows it: the names of its variables, never their values. */
export function deploymentView(record: StoredDeployment, status: ViewStatus): Deployment {
  return {
    deploymentId: record.deploymentId,
    appId: record.appId,
    appName: record.appName,
    version: record.version,
    workspaceSlug: record.workspaceSlug,
    url: deploymentUrl(record.workspaceSlug, record.appName),
    status: status.state,
    ...(status.detail === undefined ? {} : { detail: status.detail }),
    ...(status.replicas === undefined ? {} : { replicas: status.replicas }),
    variables: [...Object.keys(record.env), ...record.secretNames].sort(),
    follow: record.follow ?? 'pinned',
    ...(record.followTag === undefined ? {} : { followTag: record.followTag }),
    ...(record.installedFrom === undefined ? {} : { installedFrom: record.installedFrom.workspaceSlug }),
    createdAt: new Date(record.createdAt).toISOString(),
    createdBy: record.createdBy,
  };
}
