import type { AppHealthCheck, DeploymentFollow } from '@citus/contracts';
import type { Actor } from './app.model.js';

/** One app version running in a workspace, as the platform keeps it; its state is the engine's. */
export interface DeploymentRecord {
  deploymentId: string;
  workspaceId: string;
  workspaceSlug: string;
  appId: string;
  /** The `{app}` of `/apps/{workspace}/{app}/`: a workspace runs one deployment per app name. */
  appName: string;
  version: string;
  /** The container's (or Swarm service's) name, which every runtime call uses. */
  containerName: string;
  /** On 127.0.0.1, held by this deployment until it is removed, stopped or not. */
  hostPort: number;
  /** Where the app listens inside its container, when its manifest names a port; else `hostPort`. */
  containerPort?: number;
  /** The app's own path that `/apps/{workspace}/{app}/` leads to (from the manifest). */
  routePrefix: string;
  /** Overrides of the manifest's plain values. */
  env: Record<string, string>;
  /** Values of the manifest's declared secrets: never in a view, never in a log line. */
  secrets: Record<string, string>;
  /**
   * `tag`: redeployed with each newer approved version of its app; only its publisher's own
   * deployments follow. Absent means `pinned` (the store always sets it; records built elsewhere may not).
   */
  follow?: DeploymentFollow;
  /** With `follow: tag`: the one image tag followed; absent, every newer approved version. */
  followTag?: string;
  /** An app installed from the marketplace: the workspace that publishes it. */
  installedFrom?: { workspaceId: string; workspaceSlug: string };
  /**
   * The deployment's own API key (`CITUS_API_KEY` in its environment): of its workspace, with the
   * scopes its manifest asked for, revoked with the deployment. Kept beside the secrets so a
   * restarted container gets the same one; never in a view, never in a log line.
   */
  apiKey?: { keyId: string; key: string };
  /**
   * The manifest's health check of the version it runs, which the platform probes on each replica.
   * Absent for deployments made before the platform checked (they are not checked).
   */
  healthCheck?: AppHealthCheck;
  createdAt: number;
  createdBy: Actor;
}

/**
 * A deployment as reads give it: without its secrets' values and its API key, which stay sealed
 * until a container of it starts (`DeploymentRepository.open`). Showing, routing to and removing a
 * deployment need neither, so those still work when its sealed values do not open.
 */
export type StoredDeployment = Omit<DeploymentRecord, 'secrets' | 'apiKey'> & {
  secretNames: string[];
  apiKeyId?: string;
};

/** The stored form of a deployment just made, as reads will give it. */
export function storedForm(record: DeploymentRecord): StoredDeployment {
  const { secrets, apiKey, ...rest } = record;
  return { ...rest, secretNames: Object.keys(secrets), ...(apiKey === undefined ? {} : { apiKeyId: apiKey.keyId }) };
}

/** What a redeploy changes. */
export interface DeploymentMove {
  version: string;
  hostPort: number;
  containerPort: number | undefined;
  routePrefix: string;
  /** The check of `version` (none: not checked). */
  healthCheck: AppHealthCheck | undefined;
}

export type DeploymentInsert = 'inserted' | 'app_taken' | 'port_taken';

/** Port: where deployments are kept. Every read and write is scoped to a workspace. */
export interface DeploymentRepository {
  /** `app_taken` when the workspace runs a deployment of that app name; `port_taken` when another holds the port. */
  insert(deployment: DeploymentRecord): Promise<DeploymentInsert>;
  find(workspaceId: string, deploymentId: string): Promise<StoredDeployment | undefined>;
  /** The deployment `/apps/{workspace}/{appName}/` leads to. */
  findByAppName(workspaceId: string, appName: string): Promise<StoredDeployment | undefined>;
  /** Oldest first; of one app when `appId` is given. */
  list(workspaceId: string, appId?: string): Promise<StoredDeployment[]>;
  /**
   * The deployment as it is now, with its secrets' values and API key opened, to start a container
   * of it. Throws not found when it is gone, and an error naming it when its values do not open
   * (sealed under another key, or changed on disk).
   */
  open(workspaceId: string, deploymentId: string): Promise<DeploymentRecord>;
  /** The key a new version of the deployment starts with (none: the deployment has no key). False when it is gone. */
  setApiKey(workspaceId: string, deploymentId: string, apiKey: DeploymentRecord['apiKey']): Promise<boolean>;
  /** False when there was none. */
  delete(workspaceId: string, deploymentId: string): Promise<boolean>;
  setFollow(workspaceId: string, deploymentId: string, follow: DeploymentFollow, followTag?: string): Promise<boolean>;
  /** `port_taken` when another deployment holds the port; `missing` when the deployment is gone. */
  move(workspaceId: string, deploymentId: string, move: DeploymentMove): Promise<'moved' | 'port_taken' | 'missing'>;
}

/** Port: a TCP port on 127.0.0.1 that nothing listens on now. */
export interface HostPortAllocator {
  allocate(): Promise<number>;
  /** Whether nothing listens on it now: a redeploy keeps its port when it is. Without it, a redeploy takes a new port. */
  isFree?(port: number): Promise<boolean>;
}
